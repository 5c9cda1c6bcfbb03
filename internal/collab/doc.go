// Package collab is annobridge's domain: the rules of cross-organization
// collaboration and the use cases that apply them. It imports no AWS or
// HTTP package; adapters fill its ports (internal/ddbstore for the table,
// internal/app for the queues and mail) and internal/httpapi turns requests
// into use-case calls.
//
// # Where each rule lives
//
// The vocabulary, as data with pure functions (tested by `make test-unit`):
//
//   - roles.go: project roles and their ranks, sides (host, external),
//     workspace roles, collaboration types and the roles each type allows.
//   - permissions.go: the project permission matrix ([Permissions]), one row
//     per action with a grant per role and the ceiling for external members;
//     who may grant which role ([MayGrant]). docs/permissions.md is
//     generated from it.
//   - authz.go: the authorization core. [Standing] (the live facts about a
//     caller on a project) resolves to an [Effective] role and side; the
//     workspace table ([WorkspacePermissions]) and the org table
//     ([OrgPermissions]) answer workspace and org actions. Use cases ask
//     these for rights; the few role comparisons left are delegation rules
//     (who may grant or remove whom), which the matrix's rules state.
//   - review.go: the item state machine ([Transitions]): every edge, who may
//     fire it (an [Actor]) and whether it crosses organizations through the
//     handoff queue. docs/review.md is generated from it. review_rules.go
//     is its one evaluator: who each actor is, which row a command fires,
//     which handoff messages the table admits ([CheckHandoff]).
//   - errors.go: the error codes and typed errors; internal/httpapi maps
//     them to HTTP statuses in one table.
//   - notices.go: every mail's subject and text, as templates, and the
//     cleaning of every name that reaches a mail; notify.go: who is told
//     what (review digests, links into the web app).
//   - ratelimit.go: the budgets of invitations and imports per user and
//     per org, and the Limiter port that keeps them.
//   - ports.go: [MaxTransactionItems], the [Mailer], [Clock] and [IDs]
//     ports; idempotency.go: [IdempotencyStore]; ids.go, email.go: ids and
//     email comparison.
//   - org.go, project.go, invitation.go, jobs.go, audit.go: the records
//     (orgs, projects, members, partners, groups, invitations, collaborators,
//     jobs, audit entries) and their small rules (names, emails, pages,
//     token hashing, invitation status over time).
//   - holdings.go: what groups, workspaces and orgs hold, the refusals of
//     their deletion, and which project memberships leave with a group's
//     member (planGroupRemoval).
//
// # Use cases, by capability
//
// [Service] groups the use cases. Each capability is a type in its own
// usecase_*.go file and depends on a narrow store port declared at the top
// of that file, plus the authorization core's reads ([RightsStore]). A
// capability calls another only for a use case that one owns: Members
// invites through Invitations, Review relays through Relay, Collaborators
// starts jobs through Jobs, and the collaborator jobs return items through
// Partners.
//
//   - [Orgs] (usecase_orgs.go, [OrgStore]): orgs (renamed, deleted), their
//     members, users.
//   - [Workspaces] (usecase_workspaces.go, [WorkspaceStore]): workspaces
//     (renamed, deleted) and the projects an org reaches, both sides named.
//   - [Groups] (usecase_groups.go, [GroupStore]): groups, their members and
//     their links to projects; removal reaches the projects a group feeds.
//   - [Projects] (usecase_projects.go, [ProjectStore]): projects, settings,
//     rights questions and the project audit log.
//   - [Members] (usecase_members.go, usecase_import.go, [MemberStore]):
//     project members one by one or by CSV import; placement and delegation
//     (who may add whom, for which org, with which role).
//   - [Invitations] (usecase_invitations.go, [InvitationStore], [Directory]):
//     share links, labeling companies, org, project and collaborator
//     invitations, from issue to acceptance (by token, or by id from the
//     invitee's own list; an acceptance may found the accepter's org).
//   - [Collaborators] (usecase_collaborators.go, [CollaboratorStore]):
//     workspace collaborators, their types and access; it starts the
//     add-all-users and removal jobs, whose runners (usecase_collabjobs.go,
//     [CollabJobStore]) [Jobs] calls by kind.
//   - [WorkspaceMembers] (usecase_wsmembers.go, [WorkspaceMemberStore]):
//     people's workspace roles, and a workspace's member list.
//   - [Partners] (usecase_partners.go, [PartnerStore]): project partners and
//     stopping a collaboration (items in flight return to the host).
//   - [Review] (usecase_review.go, [ItemStore]): items through the two-stage
//     review, comments, history, analytics.
//   - [Relay] (usecase_handoff.go, [RelayStore]): the transactional outbox's
//     relay and the handoff consumer, which checks each crossing against
//     the transition table.
//   - [Jobs] (usecase_jobs.go, [JobStore]): checkpointed background jobs and
//     their runners.
//
// A change that touches several records is one store call, which the
// adapter makes one transaction of at most [MaxTransactionItems] records,
// its audit entries included; read-modify-write calls carry the version
// they read. The changes that can grow past that limit are split into
// batches, each one transaction and each safe to repeat: CSV import, a
// group's new member joining its projects, linking a group, an org
// member's auto-invite workspaces, removing a group's member, deleting a
// group, a workspace or an org, and the background jobs.
//
// The project's docs say why: docs/architecture.md (decisions),
// docs/security.md (the tenant walls), docs/permissions.md and
// docs/review.md (generated from the tables above), docs/data-model.md (the
// table's keys).
package collab
