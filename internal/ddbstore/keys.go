// Table keys: every key and index key, and the time format inside them.

package ddbstore

import (
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/annobridge/annobridge/internal/collab"
)

// Every table key is built here and nowhere else. See docs/data-model.md for
// the access patterns each key answers.

const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	attrGSI3PK = "GSI3PK"
	attrGSI3SK = "GSI3SK"
	indexGSI1  = "GSI1"
	indexGSI2  = "GSI2"
	indexGSI3  = "GSI3"

	skMeta = "META"

	prefixUser   = "USER#"
	prefixEmail  = "EMAIL#"
	prefixOrg    = "ORG#"
	prefixWS     = "WS#"
	prefixMember = "MEMBER#"
	prefixIdem   = "IDEM#"
	prefixProj   = "PROJ#"
	prefixPart   = "PARTNER#"
	prefixGroup  = "GROUP#"
	suffixShared = "#PARTNER"
	infixOrg     = "#ORG#"
	prefixInv    = "INV#"
	prefixInvs   = "INVS#"
	prefixInvTo  = "INVTO#"
	prefixToken  = "TOKEN#"
	prefixCollab = "COLLAB#"
	skShareLink  = "SHARELINK"
)

// Item types, stored in the typ attribute of every item.
const (
	typeUser          = "user"
	typeOrg           = "org"
	typeOrgMember     = "org_member"
	typeWorkspace     = "workspace"
	typeIdempotency   = "idempotency"
	typeProject       = "project"
	typeProjMember    = "project_member"
	typePartner       = "partner"
	typeEndingPartner = "partner_ending"
	typeGroup         = "group"
	typeGroupMember   = "group_member"
	typeGroupLink     = "group_link"
	typeWSMember      = "workspace_member"
	typeInvitation    = "invitation"
	typeToken         = "invitation_token"
	typeShareLink     = "share_link"
	typeCollab        = "collaborator"
)

// sortTimeLayout is the one format of a time inside a key: UTC, fixed
// width, all nine fractional digits written, so the lexical order of keys is
// the chronological order of their times. (time.RFC3339Nano drops trailing
// zeros: "…05.1Z" sorts after "…05.12Z", and "…05Z" after both.)
const sortTimeLayout = "2006-01-02T15:04:05.000000000Z"

// sortTime formats t for a key.
func sortTime(t time.Time) string { return t.UTC().Format(sortTimeLayout) }

type keys struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

type gsi1 struct {
	GSI1PK string `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK string `dynamodbav:"GSI1SK,omitempty"`
}

type gsi2 struct {
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
}

// gsi3 is the task index: only items in a task carry it.
type gsi3 struct {
	GSI3PK string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK string `dynamodbav:"GSI3SK,omitempty"`
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

// idempotencyPartKey: the n-th part of a saved answer too large for one
// item, in the record's partition.
func idempotencyPartKey(callerID, keyHash string, n int) keys {
	digits := []byte("PART#0000")
	for i := len(digits) - 1; n > 0 && digits[i] != '#'; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return keys{PK: prefixIdem + callerID + "#" + keyHash, SK: string(digits)}
}

// workspacesOf lists an org's workspaces on GSI1.
func workspacesOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, prefixWS }

func workspaceMemberKey(wsID, userID string) keys {
	return keys{PK: prefixWS + wsID, SK: prefixMember + userID}
}

func projectKey(projectID string) keys { return keys{PK: prefixProj + projectID, SK: skMeta} }

// projectIndexes: the host org's project list (GSI1) and the workspace's
// (GSI2).
func projectIndexes(p collab.Project) (gsi1, gsi2) {
	return gsi1{GSI1PK: prefixOrg + p.HostOrgID, GSI1SK: prefixProj + p.ID},
		gsi2{GSI2PK: prefixWS + p.WorkspaceID, GSI2SK: prefixProj + p.ID}
}

// orgProjectsOf lists an org's own projects and the projects shared with it
// in one GSI1 query: project items sort as PROJ#{p}, partner items as
// PROJ#{p}#PARTNER.
func orgProjectsOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, prefixProj }

func projectMemberKey(projectID, userID string) keys {
	return keys{PK: prefixProj + projectID, SK: prefixMember + userID}
}

// projectMemberIndexes: the user's projects (GSI1) and the project's members
// per org (GSI2), so a walled-off listing never filters other orgs' users.
func projectMemberIndexes(m collab.ProjectMember) (gsi1, gsi2) {
	return gsi1{GSI1PK: prefixUser + m.UserID, GSI1SK: prefixProj + m.ProjectID},
		gsi2{GSI2PK: prefixProj + m.ProjectID + infixOrg + m.OrgID, GSI2SK: prefixMember + m.UserID}
}

func projectMembersOf(projectID string) (pk, skPrefix string) {
	return prefixProj + projectID, prefixMember
}

func projectOrgMembersOf(projectID, orgID string) (pk, skPrefix string) {
	return prefixProj + projectID + infixOrg + orgID, prefixMember
}

// projectsOfUser lists a user's project memberships on GSI1.
func projectsOfUser(userID string) (pk, skPrefix string) { return prefixUser + userID, prefixProj }

// projectPartition is every item stored under a project.
func projectPartition(projectID string) string { return prefixProj + projectID }

func partnerKey(projectID, orgID string) keys {
	return keys{PK: prefixProj + projectID, SK: prefixPart + orgID}
}

func partnerIndex(projectID, orgID string) gsi1 {
	return gsi1{GSI1PK: prefixOrg + orgID, GSI1SK: prefixProj + projectID + suffixShared}
}

func partnersOf(projectID string) (pk, skPrefix string) { return prefixProj + projectID, prefixPart }

func groupKey(orgID, groupID string) keys {
	return keys{PK: prefixOrg + orgID, SK: prefixGroup + groupID}
}

func groupMemberKey(groupID, userID string) keys {
	return keys{PK: prefixGroup + groupID, SK: prefixMember + userID}
}

func groupMemberIndex(groupID, userID string) gsi1 {
	return gsi1{GSI1PK: prefixUser + userID, GSI1SK: prefixGroup + groupID}
}

// groupsOfUser lists a user's group memberships on GSI1.
func groupsOfUser(userID string) (pk, skPrefix string) { return prefixUser + userID, prefixGroup }

// workspacesOfUser lists a user's workspace roles on GSI1.
func workspacesOfUser(userID string) (pk, skPrefix string) { return prefixUser + userID, prefixWS }

func groupMembersOf(groupID string) (pk, skPrefix string) { return prefixGroup + groupID, prefixMember }

// groupLinkKey attaches a group to a project; GSI2 lists a project's groups.
func groupLinkKey(groupID, projectID string) keys {
	return keys{PK: prefixGroup + groupID, SK: prefixProj + projectID}
}

func groupLinkIndex(groupID, projectID string) gsi2 {
	return gsi2{GSI2PK: prefixProj + projectID, GSI2SK: prefixGroup + groupID}
}

func groupLinksOf(groupID string) (pk, skPrefix string) { return prefixGroup + groupID, prefixProj }

func projectGroupsOf(projectID string) (pk, skPrefix string) {
	return prefixProj + projectID, prefixGroup
}

func usersByEmail(email string) (pk, skPrefix string) { return prefixEmail + email, prefixUser }

func invitationKey(id string) keys { return keys{PK: prefixInv + id, SK: skMeta} }

// invitationIndex lists the pending invitations of a scope, oldest first;
// the index attributes are removed when an invitation stops being pending.
func invitationIndex(scopeKind, scopeID string, created time.Time, id string) gsi1 {
	return gsi1{GSI1PK: prefixInvs + scopeKind + "#" + scopeID, GSI1SK: prefixInv + sortTime(created) + "#" + id}
}

func invitationsOf(scopeKind, scopeID string) (pk, skPrefix string) {
	return prefixInvs + scopeKind + "#" + scopeID, prefixInv
}

// invitationToIndex lists the pending invitations bound to an email
// address on GSI2, oldest first (the invitee's own list); removed, with
// the scope index, when an invitation stops being pending.
func invitationToIndex(email string, created time.Time, id string) gsi2 {
	return gsi2{GSI2PK: prefixInvTo + email, GSI2SK: prefixInv + sortTime(created) + "#" + id}
}

func invitationsTo(email string) (pk, skPrefix string) { return prefixInvTo + email, prefixInv }

// tokenKey points a token hash at its invitation.
func tokenKey(hash string) keys { return keys{PK: prefixToken + hash, SK: skMeta} }

// shareLinkKey points a project at its current share link.
func shareLinkKey(projectID string) keys { return keys{PK: prefixProj + projectID, SK: skShareLink} }

func collaboratorKey(wsID, orgID string) keys {
	return keys{PK: prefixWS + wsID, SK: prefixCollab + orgID}
}

func collaboratorIndex(wsID, orgID string) gsi1 {
	return gsi1{GSI1PK: prefixOrg + orgID, GSI1SK: prefixCollab + wsID}
}

// workspaceMemberIndexes: the user's workspaces (GSI1) and one org's members
// of a workspace (GSI2), for cascades and removals.
func workspaceMemberIndexes(wsID, orgID, userID string) (gsi1, gsi2) {
	return gsi1{GSI1PK: prefixUser + userID, GSI1SK: prefixWS + wsID},
		gsi2{GSI2PK: prefixWS + wsID + infixOrg + orgID, GSI2SK: prefixMember + userID}
}

func workspaceOrgMembersOf(wsID, orgID string) (pk, skPrefix string) {
	return prefixWS + wsID + infixOrg + orgID, prefixMember
}

func collaboratorsOf(wsID string) (pk, skPrefix string) { return prefixWS + wsID, prefixCollab }

// workspaceProjectsOf lists a workspace's projects on GSI2.
func workspaceProjectsOf(wsID string) (pk, skPrefix string) { return prefixWS + wsID, prefixProj }

func jobKey(id string) keys { return keys{PK: "JOB#" + id, SK: skMeta} }

// auditKey: a scope's entries, spread over SpreadShards partitions by the
// entry, each sorted by time.
func auditKey(scope string, at time.Time, id string) keys {
	return keys{PK: spread(auditOf(scope), id), SK: sortTime(at) + "#" + id}
}

// auditOf is the base of a scope's audit partitions (spreadKeys of it).
func auditOf(scope string) (base string) { return "AUDIT#" + scope }

// auditOrgIndex lists one org's entries of a scope on GSI2 (what a partner
// may read), spread like the table's.
func auditOrgIndex(scope, orgID, id, sk string) gsi2 {
	return gsi2{GSI2PK: spread(auditOfOrg(scope, orgID), id), GSI2SK: sk}
}

// auditOfOrg is the base of one org's audit index keys (GSI2).
func auditOfOrg(scope, orgID string) (base string) { return "AUDIT#" + scope + infixOrg + orgID }

const (
	prefixItem  = "ITEM#"
	prefixDay   = "DAY#"
	prefixStats = "STATS#"
	pkOutbox    = "OUTBOX"
)

// SpreadShards is how many partitions each key that a whole project writes
// on every review transition is spread over: the item-status index keys,
// the audit log and a task's counters (docs/benchmarks.md, hot keys: at
// 500 crossings a second in one project each of them alone took 2,000
// write units a second, twice a partition's 1,000). A row's shard is a hash
// of what tells it apart (the item, the entry, the member); listings read
// every shard and merge them in sort-key order (queryShards).
const SpreadShards = 8

// shardOf is the shard, 0 to n-1, of a row told apart by id.
func shardOf(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// spread is the key of base's shard for id: base#S00 to base#S07.
func spread(base, id string) string { return fmt.Sprintf("%s#S%02d", base, shardOf(id, SpreadShards)) }

// spreadKeys lists every shard key of base.
func spreadKeys(base string) []string {
	out := make([]string, SpreadShards)
	for i := range out {
		out[i] = fmt.Sprintf("%s#S%02d", base, i)
	}
	return out
}

// itemKey: an item is a partition of its own, beside its history and
// comments (item ids are unique across projects). The sort key names the
// project, so an item read under another project finds nothing. (Items
// were once rows of the project's partition: every transition of a
// project wrote that one key.)
func itemKey(projectID, itemID string) keys {
	return keys{PK: prefixItem + itemID, SK: prefixProj + projectID}
}

// itemIndexes: items by status for the host (GSI1) and by status for one
// org (GSI2), so a partner's listing never reads other orgs' items; each
// spread over SpreadShards keys by the item.
func itemIndexes(it collab.Item) (gsi1, gsi2) {
	host, org := itemsByStatus(it.ProjectID, it.Status), orgItemsByStatus(it.ProjectID, it.OrgID, it.Status)
	return gsi1{GSI1PK: spread(host, it.ID), GSI1SK: prefixItem + it.ID},
		gsi2{GSI2PK: spread(org, it.ID), GSI2SK: prefixItem + it.ID}
}

// itemsByStatus is the base of a project's status index keys (GSI1): its
// shards are spreadKeys of it, each sorted by ITEM#id.
func itemsByStatus(projectID string, st collab.ItemStatus) (base string) {
	return prefixProj + projectID + "#ST#" + string(st)
}

// orgItemsByStatus is the base of one org's status index keys (GSI2).
func orgItemsByStatus(projectID, orgID string, st collab.ItemStatus) (base string) {
	return prefixProj + projectID + infixOrg + orgID + "#ST#" + string(st)
}

func itemEventKey(itemID string, at time.Time, id string) keys {
	return keys{PK: prefixItem + itemID, SK: "EV#" + sortTime(at) + "#" + id}
}

func itemEventsOf(itemID string) (pk, skPrefix string) { return prefixItem + itemID, "EV#" }

func commentKey(itemID string, at time.Time, id string) keys {
	return keys{PK: prefixItem + itemID, SK: "CMT#" + sortTime(at) + "#" + id}
}

func commentsOf(itemID string) (pk, skPrefix string) { return prefixItem + itemID, "CMT#" }

func statsKey(projectID, userID, day string) keys {
	return keys{PK: prefixStats + projectID + "#" + userID, SK: prefixDay + day}
}

// statsRange is the counter partition of a member and the sort keys of the
// first and last day of a range.
func statsRange(projectID, userID, fromDay, toDay string) (pk, from, to string) {
	return statsKey(projectID, userID, "").PK, prefixDay + fromDay, prefixDay + toDay
}

// OutboxShards is how many partitions the outbox is spread over. Every
// tenant's cross-org messages are written there (and deleted once
// relayed): one partition would take them all, against DynamoDB's 1,000
// write units a second per partition (docs/benchmarks.md, hot keys).
const OutboxShards = 16

// outboxShard is the partition of a message: OUTBOX#00 to OUTBOX#15, by a
// hash of its sort key (its time and id: a message id written again, as
// the hourly review digest's is, lands on any shard).
func outboxShard(sk string) string {
	return fmt.Sprintf("%s#%02d", pkOutbox, shardOf(sk, OutboxShards))
}

// outboxShards lists the outbox partitions, for the sweep.
func outboxShards() []string {
	out := make([]string, OutboxShards)
	for i := range out {
		out[i] = fmt.Sprintf("%s#%02d", pkOutbox, i)
	}
	return out
}

// outboxBefore is the sort-key bound, in every outbox partition, of the
// messages written before t.
func outboxBefore(t time.Time) (before string) { return sortTime(t) }

// outboxKey: messages awaiting relay, oldest first in each of the
// OutboxShards partitions.
func outboxKey(at time.Time, id string) keys {
	sk := sortTime(at) + "#" + id
	return keys{PK: outboxShard(sk), SK: sk}
}

// parkedOutboxKey: the dead-letter outbox, messages the relay gave up on,
// under the sort key they had.
func parkedOutboxKey(at time.Time, id string) keys {
	return keys{PK: pkOutbox + "#PARKED", SK: sortTime(at) + "#" + id}
}

const (
	prefixTask   = "TASK#"
	prefixHolder = "H#"
	noHolder     = "-"
)

// taskKey: a project's tasks live in its partition.
func taskKey(projectID, taskID string) keys {
	return keys{PK: prefixProj + projectID, SK: prefixTask + taskID}
}

func tasksOf(projectID string) (pk, skPrefix string) { return prefixProj + projectID, prefixTask }

// orgTaskIndex lists one org's tasks of a project on GSI2 (the walled-off
// view).
func orgTaskIndex(projectID, orgID, taskID string) gsi2 {
	return gsi2{GSI2PK: prefixProj + projectID + infixOrg + orgID + "#TASKS", GSI2SK: prefixTask + taskID}
}

func orgTasksOf(projectID, orgID string) (pk, skPrefix string) {
	return prefixProj + projectID + infixOrg + orgID + "#TASKS", prefixTask
}

// taskItemIndex: a task's items on GSI3 by holder and status, so the next
// item of an annotator, the unassigned ones and the task's progress are
// each one query, and progress reads no item.
func taskItemIndex(it collab.Item) gsi3 {
	if it.TaskID == "" {
		return gsi3{}
	}
	return gsi3{GSI3PK: prefixTask + it.TaskID, GSI3SK: taskItemSK(holderOr(it.Holder()), it.Status, it.ID)}
}

func holderOr(h string) string {
	if h == "" {
		return noHolder
	}
	return h
}

func taskItemSK(holder string, st collab.ItemStatus, itemID string) string {
	return prefixHolder + holder + "#" + string(st) + "#" + itemID
}

// taskItemsOf is the task's index partition and the sort-key prefix of one
// holder's items in one status (holder or status empty: all of them).
func taskItemsOf(taskID, holder string, st collab.ItemStatus) (pk, skPrefix string) {
	pk = prefixTask + taskID
	switch {
	case holder == "":
		return pk, ""
	case st == "":
		return pk, prefixHolder + holder + "#"
	}
	return pk, prefixHolder + holder + "#" + string(st) + "#"
}

// parseTaskItemSK reads a task index sort key back.
func parseTaskItemSK(sk string) (holder string, st collab.ItemStatus, itemID string, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(sk, prefixHolder), "#", 3)
	if len(parts) != 3 || !strings.HasPrefix(sk, prefixHolder) {
		return "", "", "", false
	}
	if parts[0] == noHolder {
		parts[0] = ""
	}
	return parts[0], collab.ItemStatus(parts[1]), parts[2], true
}

// taskStatsKey: a task's counters, one row per member and day, in the
// task's partition (read in one query for the task's figures).
func taskStatsKey(projectID, taskID, userID, day string) keys {
	return keys{PK: spread(taskStatsOf(projectID, taskID), userID), SK: prefixDay + day + "#" + prefixUser + userID}
}

// taskStatsOf is the base of a task's counter partitions, spread over
// SpreadShards by member (spreadKeys of it).
func taskStatsOf(projectID, taskID string) (base string) {
	return prefixStats + projectID + "#" + prefixTask + taskID
}

// counterDays is the sort keys that bound [fromDay, toDay] in each of the
// partitions of a task's counters or a project's review metrics.
func counterDays(fromDay, toDay string) (from, to string) {
	return prefixDay + fromDay, prefixDay + toDay + "#~"
}

// orgReviewStatsKey: a project's review metrics, one row per org and day
// in each of the SpreadShards partitions (by item: one partner's decisions
// are the whole project's at worst).
//
// Within a shard, an org's day is itself spread over SpreadShards rows
// (…#R{nn}, by another hash of the item): every decision of a partner
// updates its row inside a transaction, and transactions that touch one
// item at once cancel each other; readers sum the rows.
func orgReviewStatsKey(projectID, orgID, itemID, day string) keys {
	return keys{PK: spread(orgReviewStatsOf(projectID), itemID),
		SK: fmt.Sprintf("%s%s%s%s%s%02d", prefixDay, day, infixOrg, orgID, infixCounterRow, shardOf("row:"+itemID, SpreadShards))}
}

// infixCounterRow marks the row number of a counter spread within a shard.
const infixCounterRow = "#R"

// orgReviewStatsOf is the base of a project's review-metrics partitions.
func orgReviewStatsOf(projectID string) (base string) { return prefixStats + projectID + "#ORGREVIEW" }

// counterOwner reads back whose counters a counter row of a task
// (…#USER#u) or of the review metrics (…#ORG#o) holds.
func counterOwner(sk string) string {
	for _, infix := range []string{"#" + prefixUser, infixOrg} {
		if i := strings.Index(sk, infix); i >= 0 {
			owner := sk[i+len(infix):]
			if j := strings.LastIndex(owner, infixCounterRow); j >= 0 {
				owner = owner[:j]
			}
			return owner
		}
	}
	return ""
}

// partnerEndIndex lists a time-boxed partnership on GSI3 (KEYS_ONLY) under
// one partition, by its end: the sweep reads those due. Ends are set
// rarely (a person's decision), so one partition takes them all.
func partnerEndIndex(p collab.Partner) gsi3 {
	if p.EndsAt.IsZero() {
		return gsi3{}
	}
	return gsi3{GSI3PK: pkPartnerEnds, GSI3SK: sortTime(p.EndsAt) + "#" + p.ProjectID + "#" + p.OrgID}
}

// The partitions of the index of ends (GSI3): partnerships, and workspace
// collaborations.
const (
	pkPartnerEnds      = "PARTNER_ENDS"
	pkCollaboratorEnds = "COLLAB_ENDS"
)

// pkEndingPartners is the partition listing the ending partnerships
// (?inFlight=finish) for the sweep.
const pkEndingPartners = "PARTNERS_ENDING"

// endingPartnerKey lists one ending partnership.
func endingPartnerKey(projectID, orgID string) keys {
	return keys{PK: pkEndingPartners, SK: prefixProj + projectID + "#" + prefixPart + orgID}
}

// endsUntil is the last sort key, in a partition of the index of ends, of
// what ends at or before t.
func endsUntil(t time.Time) string { return sortTime(t) + "#~" }

// collaboratorEndIndex lists a time-boxed collaboration on GSI3 under its
// partition of ends, by its end.
func collaboratorEndIndex(c collab.Collaborator) gsi3 {
	if c.EndsAt.IsZero() {
		return gsi3{}
	}
	return gsi3{GSI3PK: pkCollaboratorEnds, GSI3SK: sortTime(c.EndsAt) + "#" + c.WorkspaceID + "#" + c.OrgID}
}

// collaboratorOfKey reads the workspace and org back from a collaborator
// item's key.
func collaboratorOfKey(k keys) (wsID, orgID string, ok bool) {
	wsID, okW := strings.CutPrefix(k.PK, prefixWS)
	orgID, okO := strings.CutPrefix(k.SK, prefixCollab)
	return wsID, orgID, okW && okO && wsID != "" && orgID != ""
}

// partnerOfKey reads the project and org back from a partner item's key
// (which a keys-only index entry carries).
func partnerOfKey(k keys) (projectID, orgID string, ok bool) {
	projectID, okP := strings.CutPrefix(k.PK, prefixProj)
	orgID, okO := strings.CutPrefix(k.SK, prefixPart)
	return projectID, orgID, okP && okO && projectID != "" && orgID != ""
}

// mailSentKey marks a mail message id as sent (TTL), so a redelivered
// queue message sends nothing twice.
func mailSentKey(id string) keys { return keys{PK: "MAILSENT#" + id, SK: skMeta} }

// rateKey is a rate limit's counter of one fixed window (ratelimit.go): a
// partition per budget key, a row per window (TTL after it ends).
func rateKey(budget string, windowStart time.Time) keys {
	return keys{PK: "RATE#" + budget, SK: sortTime(windowStart)}
}

// groupsOf lists an org's groups from its partition.
func groupsOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, prefixGroup }

// workspaceMembersOf lists every member of a workspace from its partition.
func workspaceMembersOf(wsID string) (pk, skPrefix string) { return prefixWS + wsID, prefixMember }

// collaborationsOf lists the collaborator items of an org (the workspaces
// it collaborates in) on GSI1.
func collaborationsOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, prefixCollab }

const infixHosted = "#HOSTED"

// hostedPartnerIndex puts a partner item under its project's host org on
// GSI2, ordered by project, so the partners of one page of the host's
// projects are one range query.
func hostedPartnerIndex(hostOrgID, projectID, orgID string) gsi2 {
	return gsi2{GSI2PK: prefixOrg + hostOrgID + infixHosted, GSI2SK: prefixProj + projectID + "#" + prefixPart + orgID}
}

// hostedPartnersBetween is the GSI2 partition of a host's partner items and
// the sort keys bounding those of the projects fromProject to toProject.
func hostedPartnersBetween(hostOrgID, fromProject, toProject string) (pk, from, to string) {
	return prefixOrg + hostOrgID + infixHosted, prefixProj + fromProject + "#", prefixProj + toProject + "#~"
}

// tooLong reports a key DynamoDB would refuse (a partition key over 2,048
// bytes, a sort key over 1,024): no item can have it, so a read of it is
// "not found", not an error.
func (k keys) tooLong() bool { return len(k.PK) > 2048 || len(k.SK) > 1024 }

// webhookKey: an org's webhook, beside its members.
func webhookKey(orgID, id string) keys { return keys{PK: prefixOrg + orgID, SK: "WEBHOOK#" + id} }

func webhooksOf(orgID string) (pk, skPrefix string) { return prefixOrg + orgID, "WEBHOOK#" }

// webhookCountKey counts an org's webhooks (the limit's condition).
func webhookCountKey(orgID string) keys { return keys{PK: prefixOrg + orgID, SK: "WEBHOOKS"} }

// deliveryKey: one attempt in a webhook's log, newest first (the sort key
// counts down from the far future).
func deliveryKey(webhookID string, at time.Time, id string) keys {
	return keys{PK: "WEBHOOK#" + webhookID, SK: fmt.Sprintf("DELIVERY#%013d#%s", 9999999999999-at.UnixMilli(), id)}
}

func deliveriesOf(webhookID string) (pk, skPrefix string) { return "WEBHOOK#" + webhookID, "DELIVERY#" }
