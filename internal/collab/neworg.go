package collab

// newOrg builds the records of a new org owned by c: the org, the owner's
// membership and the default workspace, for one transaction. field names
// the request field the name came from, for the 400 when it is not a name.
// (Orgs.CreateOrg builds the same three records; acceptance with a new org
// uses this so that an org founded while accepting is the same as one made
// by POST /orgs.)
func (s *base) newOrg(c Caller, name, field string) (NewOrg, error) {
	var v Validation
	name = CleanName(field, name, &v)
	if err := v.Err(); err != nil {
		return NewOrg{}, err
	}
	now := s.clock.Now()
	org := Org{ID: s.ids.New("org"), Name: name, CreatedBy: c.UserID, CreatedAt: now, Version: 1}
	return NewOrg{
		Org: org,
		Owner: OrgMembership{OrgID: org.ID, OrgName: org.Name, UserID: c.UserID, Email: NormalizeEmail(c.Email), Name: c.Name,
			Role: OrgOwner, JoinedAt: now, Version: 1},
		Workspace: Workspace{ID: s.ids.New("ws"), OrgID: org.ID, Name: "Default workspace", Default: true, CreatedAt: now, Version: 1},
	}, nil
}
