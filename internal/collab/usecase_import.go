package collab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ImportTemplate is the CSV template of a member import.
const ImportTemplate = "email,role,company\nannotator@example.com,annotator,\nmanager@example.com,annotation_manager,\n"

// MaxImportRows bounds one import.
const MaxImportRows = 5000

// Row statuses of an import.
const (
	ImportAdded         = "added"
	ImportAlreadyMember = "already_member"
	ImportInvited       = "invited"
	ImportError         = "error"
)

// importChunk is how many members one transaction adds: with the owners
// counter and the audit entry, within MaxTransactionItems.
const importChunk = MaxTransactionItems - 2

// ImportRow is the result of one CSV row.
type ImportRow struct {
	Line   int // line in the file, the header being line 1
	Email  string
	Role   Role
	Status string
	Field  string
	Error  string
}

// ImportResult sums up an import.
type ImportResult struct {
	Total          int
	Added          int
	AlreadyMembers int
	Invited        int
	Errors         int
	Rows           []ImportRow
}

// formulaLike reports a cell a spreadsheet would run as a formula.
func formulaLike(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r|", rune(cell[0]))
}

// ImportMembers adds project members from CSV records (`email,role[,company]`
// after a header row). Each row is checked on its own; good rows are added,
// bad ones reported with the field at fault, none half-applied.
//
// An import is rate limited (ratelimit.go): the call counts against the
// importer's and their org's import limits (refused whole with
// rate_limited past them), and the invitations it sends count against the
// same invitation limits as invitations made one by one: they are taken at
// once, as many as both budgets have left, and the rows beyond that budget
// are not invited but answered as row errors (field email) saying when to
// import them again. Rows of people added at once send no invitation and
// are never limited.
func (s *Members) ImportMembers(ctx context.Context, c Caller, projectID string, records [][]string) (ImportResult, error) {
	if len(records) == 0 {
		return ImportResult{}, invalid("file", "is empty; the first line must be the header email,role[,company]")
	}
	header := make([]string, len(records[0]))
	for i, h := range records[0] {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	if len(header) < 2 || header[0] != "email" || header[1] != "role" || (len(header) > 2 && header[2] != "company") || len(header) > 3 {
		return ImportResult{}, invalid("file", "the header must be email,role[,company]")
	}
	if len(records)-1 > MaxImportRows {
		return ImportResult{}, invalid("file", "has %d rows; at most %d per import", len(records)-1, MaxImportRows)
	}
	a, err := s.access(ctx, c, projectID)
	if err != nil {
		return ImportResult{}, err
	}
	g, err := a.require(ActMembersManage)
	if err != nil {
		return ImportResult{}, err
	}
	// Rows are added for the org the importer acts for (docs/security.md, invariant 4): the
	// host org for the host, their own org for a partner's manager.
	home, err := s.place(a, "")
	if err != nil {
		return ImportResult{}, err
	}
	lim := s.invitations.limits
	if err := lim.takeAll(ctx, "imports", 1, s.clock.Now(), lim.imports(c, home.orgID)...); err != nil {
		return ImportResult{}, err
	}
	partners, err := s.store.ListPartners(ctx, projectID)
	if err != nil {
		return ImportResult{}, err
	}
	companyOf := map[string]Partner{}
	for _, p := range partners {
		if p.Ending() {
			continue // an ending partnership takes no one new
		}
		companyOf[strings.ToLower(p.OrgID)] = p
		companyOf[strings.ToLower(p.OrgName)] = p
	}

	res := ImportResult{Total: len(records) - 1, Rows: make([]ImportRow, len(records)-1)}
	fail := func(r *ImportRow, field, format string, args ...any) {
		r.Status, r.Field, r.Error = ImportError, field, fmt.Sprintf(format, args...)
	}
	type pending struct {
		row     *ImportRow
		company *Partner
	}
	var todo []pending
	seen := map[string]int{}
	for i, rec := range records[1:] {
		r := &res.Rows[i]
		r.Line = i + 2
		cells := make([]string, 3)
		for j := range min(len(rec), 3) {
			cells[j] = strings.TrimSpace(rec[j])
		}
		r.Email, r.Role = NormalizeEmail(cells[0]), Role(cells[1])
		switch {
		case len(rec) > 3:
			fail(r, "row", "has %d cells; expected email,role[,company]", len(rec))
		case formulaLike(cells[0]) || formulaLike(cells[1]) || formulaLike(cells[2]):
			r.Email = ""
			fail(r, "row", "a cell looks like a spreadsheet formula")
		case !ValidEmail(r.Email):
			fail(r, "email", "is not an email address")
		case !r.Role.Valid():
			fail(r, "role", "%q is not one of %s", cells[1], joinRolesPlain(Roles))
		case seen[r.Email] > 0:
			fail(r, "email", "duplicates line %d", seen[r.Email])
		default:
			seen[r.Email] = r.Line
			p := pending{row: r}
			if cells[2] != "" {
				pa, ok := companyOf[strings.ToLower(cells[2])]
				if !ok {
					fail(r, "company", "%q does not take part in this project", cells[2])
					continue
				}
				p.company = &pa
			}
			todo = append(todo, p)
		}
	}

	emails := make([]string, len(todo))
	for i, p := range todo {
		emails[i] = p.row.Email
	}
	users, err := s.findUsers(ctx, emails)
	if err != nil {
		return ImportResult{}, err
	}
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	inHome, err := s.store.GetOrgMemberships(ctx, home.orgID, ids)
	if err != nil {
		return ImportResult{}, err
	}
	existing, err := s.store.GetProjectMembers(ctx, projectID, ids)
	if err != nil {
		return ImportResult{}, err
	}
	now := s.clock.Now()
	var add []ProjectMember
	var addRows, inviteRows []*ImportRow
	for _, p := range todo {
		r := p.row
		if p.company != nil && p.company.OrgID != home.orgID {
			fail(r, "company", "people are added for an organization only by that organization's own managers")
			continue
		}
		pl := home
		grantErr := func() bool {
			err := a.checkGrant(g, r.Role, pl)
			if err == nil {
				return false
			}
			field := "role"
			if ErrorCode(err) == CodeForbidden && g == OwnOrg && pl.orgID != a.OrgID {
				field = "company"
			}
			fail(r, field, "%s", err.(*Error).Message)
			return true
		}
		u, ok := users[r.Email]
		// Someone without an account, or outside the importer's org, gets
		// an invitation bound to the row's email, role and company: one
		// answer either way (docs/security.md, invariant 5).
		if _, member := inHome[u.ID]; !ok || !member {
			if grantErr() {
				continue
			}
			inviteRows = append(inviteRows, r)
			continue
		}
		// Only now, once the user is known to be the importer's to manage,
		// may the row say whether they are on the project already.
		if _, ok := existing[u.ID]; ok {
			r.Status = ImportAlreadyMember
			continue
		}
		if grantErr() {
			continue
		}
		add = append(add, ProjectMember{ProjectID: projectID, UserID: u.ID, Email: u.Email, Name: u.Name, Role: r.Role,
			OrgID: pl.orgID, Side: pl.side, AddedBy: c.UserID, AddedAt: now, Version: 1})
		addRows = append(addRows, r)
	}
	// The invitations, charged at once: as many as the importer's and
	// their org's budgets have left; the rows beyond are not invited.
	paid, short, err := lim.takeUpTo(ctx, "invitations", len(inviteRows), now, lim.invites(c, home.orgID)...)
	if err != nil {
		return ImportResult{}, err
	}
	for i, r := range inviteRows {
		if i >= paid {
			fail(r, "email", "not invited: %s; import this row again after %s", strings.TrimSuffix(short.Message, "; retry later"),
				now.Add(short.RetryAfter).UTC().Format("15:04 MST"))
			continue
		}
		if _, err := s.invitations.inviteProjectMemberPaid(ctx, c, a, r.Email, r.Role, home); err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Code == CodeInternal {
				return ImportResult{}, err
			}
			fail(r, "email", "%s", de.Message)
			continue
		}
		r.Status = ImportInvited
	}
	for start := 0; start < len(add); start += importChunk {
		end := min(start+importChunk, len(add))
		if err := s.store.AddProjectMembers(ctx, projectID, add[start:end], s.entry(ProjectScope(projectID), c, home.orgID,
			"members.imported", nil, map[string]any{"added": end - start})); err != nil {
			if !IsCode(err, CodeConflict) {
				return ImportResult{}, err
			}
			// Someone was added meanwhile: add this chunk one by one.
			for i := start; i < end; i++ {
				if err := s.store.AddProjectMembers(ctx, projectID, add[i:i+1], s.memberEntry(c, add[i], "member.added", nil)); err != nil {
					if !IsCode(err, CodeConflict) {
						return ImportResult{}, err
					}
					addRows[i].Status = ImportAlreadyMember
					continue
				}
				addRows[i].Status = ImportAdded
			}
			continue
		}
		for i := start; i < end; i++ {
			addRows[i].Status = ImportAdded
		}
	}
	for _, r := range res.Rows {
		switch r.Status {
		case ImportAdded:
			res.Added++
		case ImportAlreadyMember:
			res.AlreadyMembers++
		case ImportInvited:
			res.Invited++
		case ImportError:
			res.Errors++
		}
	}
	return res, nil
}

// findUsers looks users up by email, eight lookups at a time; an email
// without an account is absent from the answer.
func (s *Members) findUsers(ctx context.Context, emails []string) (map[string]User, error) {
	out := make(map[string]User, len(emails))
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	sem := make(chan struct{}, 8)
	for _, e := range emails {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u, err := s.store.FindUserByEmail(ctx, e)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				out[e] = u
			case !IsCode(err, CodeNotFound) && firstErr == nil:
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}
