package ddbstore

// Every table key is built here and nowhere else. See docs/data-model.md for
// the access patterns each key answers.

const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	indexGSI1  = "GSI1"

	skMeta = "META"

	prefixUser   = "USER#"
	prefixEmail  = "EMAIL#"
	prefixOrg    = "ORG#"
	prefixWS     = "WS#"
	prefixMember = "MEMBER#"
	prefixIdem   = "IDEM#"
)

// Item types, stored in the typ attribute of every item.
const (
	typeUser        = "user"
	typeOrg         = "org"
	typeOrgMember   = "org_member"
	typeWorkspace   = "workspace"
	typeIdempotency = "idempotency"
)

type keys struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

type gsi1 struct {
	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
}

func userKey(userID string) keys { return keys{PK: prefixUser + userID, SK: skMeta} }
func userEmailIndex(email, userID string) gsi1 {
	return gsi1{GSI1PK: prefixEmail + email, GSI1SK: prefixUser + userID}
}

func orgKey(orgID string) keys { return keys{PK: prefixOrg + orgID, SK: skMeta} }

func orgMemberKey(orgID, userID string) keys {
	return keys{PK: prefixOrg + orgID, SK: prefixMember + userID}
}

// orgMembersOf is the partition and sort-key prefix listing an org's members.
func orgMembersOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, prefixMember }

// orgMemberIndex puts a membership under its user, so a user's orgs are one
// query on GSI1.
func orgMemberIndex(orgID, userID string) gsi1 {
	return gsi1{GSI1PK: prefixUser + userID, GSI1SK: prefixOrg + orgID}
}

// orgsOfUser is the GSI1 partition and sort-key prefix listing a user's orgs.
func orgsOfUser(userID string) (pk, skPrefix string) { return prefixUser + userID, prefixOrg }

func workspaceKey(wsID string) keys { return keys{PK: prefixWS + wsID, SK: skMeta} }

// workspaceIndex puts a workspace under its owner org.
func workspaceIndex(orgID, wsID string) gsi1 {
	return gsi1{GSI1PK: prefixOrg + orgID, GSI1SK: prefixWS + wsID}
}

// idempotencyKey scopes an Idempotency-Key to its caller.
func idempotencyKey(callerID, keyHash string) keys {
	return keys{PK: prefixIdem + callerID + "#" + keyHash, SK: skMeta}
}
