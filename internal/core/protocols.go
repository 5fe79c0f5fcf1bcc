package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // review dates are days in Europe/Paris, on any host

	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/sanitize"
	"github.com/ecpts/ecpts/internal/store"
)

// The protocol library: protocols written from a template in Markdown,
// reviewed by named reviewers, validated by a coordinator, acknowledged
// by members. Who may do what is policy.go's; every state transition goes
// through store.Protocols.Apply, so that two people acting at once on the
// same protocol make one transition from each state (the second one
// re-reads and is judged on the new state).

// ProtocolTemplate is the usual structure of a pluriprofessional protocol:
// a new protocol without a body starts from it.
const ProtocolTemplate = `## Objet

Décrire en quelques lignes la situation clinique et le but du protocole.

## Professionnels concernés

- Médecin généraliste :
- Pharmacien·ne :
- Infirmier·ère :

## Patients concernés

### Critères d'inclusion

- 

### Critères d'exclusion

- 

## Conduite à tenir / logigramme

1. 
2. 
3. 

## Rôle de chaque profession

| Profession | Rôle |
| --- | --- |
| Médecin généraliste | |
| Pharmacien·ne | |
| Infirmier·ère | |

## Orientation et signes d'alerte

- Orienter sans délai vers le médecin (ou le 15) si :

## Références

- 

## Date de révision

À revoir au plus tard dans deux ans.
`

// Limits of the library.
const (
	maxProtocolTitle     = 200
	maxProtocolBody      = 60000 // characters; the renderer takes 64 KiB
	maxProtocolNote      = 500
	maxReviewComment     = 2000
	maxProtocolReviewers = 10
	maxSharedWith        = 50
	reviewDueDays        = 30
)

// Errors of the library, each with its own code.
var (
	errProtocolNotFound    = notFound("Ce protocole est introuvable.")
	errProtocolArchived    = model.Coded(model.ErrConflict, "protocol_archived", "Ce protocole est archivé : il ne peut plus être modifié.")
	errProtocolNotInReview = model.Coded(model.ErrConflict, "protocol_not_in_review",
		"Ce protocole n'est pas en relecture : envoyez-le d'abord en relecture à ses relecteurs.")
	errProtocolReviewsPending = model.Coded(model.ErrConflict, "protocol_reviews_pending",
		"Tous les relecteurs n'ont pas encore approuvé la version en cours : la validation attend leur accord.")
	errProtocolNotDraft = model.Coded(model.ErrConflict, "protocol_not_draft",
		"Seul un protocole en brouillon ou en relecture peut être envoyé en relecture.")
	errNotAReviewer = model.Coded(model.ErrForbidden, "not_a_reviewer",
		"Vous n'êtes pas relecteur·rice de ce protocole.")
	errAlreadyReviewed = model.Coded(model.ErrConflict, "review_already_given",
		"Vous avez déjà donné votre avis sur cette version.")
	errAckNotCurrent = model.Coded(model.ErrConflict, "ack_version_not_current",
		"Seule la version validée en vigueur de ce protocole peut être confirmée.")
	errAckNotAllowed = model.Coded(model.ErrForbidden, "ack_not_allowed",
		"Vous ne pouvez pas confirmer la lecture de ce protocole.")
	errProtocolEditConflict = model.Coded(model.ErrConflict, "protocol_edit_conflict",
		"Une nouvelle version a été enregistrée entre-temps : rechargez le protocole avant de le modifier.")
	errVersionNotFound = notFound("Cette version du protocole est introuvable.")
)

var paris = func() *time.Location {
	l, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("core: Europe/Paris: " + err.Error()) // time/tzdata is embedded
	}
	return l
}()

// today is the current day in Europe/Paris.
func (c *Core) today() model.Date { return model.DateOf(c.now().In(paris)) }

// ProtocolRights says what the caller may do with a protocol now.
type ProtocolRights struct {
	Edit     bool `json:"edit"`
	Submit   bool `json:"submit"`
	Review   bool `json:"review"`
	Validate bool `json:"validate"`
	Archive  bool `json:"archive"`
	Ack      bool `json:"ack"`
	SeeAcks  bool `json:"see_acks"`
}

// ProtocolView is a protocol as a caller sees it. For who does not see
// drafts (a shared protocol, a partenaire), it is the validated version:
// CurrentVersion is the validated one and the reviewers are left out.
type ProtocolView struct {
	model.Protocol
	StatusLabel string `json:"status_label"`
	CPTSName    string `json:"cpts_name"`
	// Shared: owned by a CPTS the caller is not an active member of
	// ("partagé par CPTS X"), read-only.
	Shared bool `json:"shared"`
	// ReviewDue: review date within 30 days or past; ReviewOverdue: past.
	ReviewDue     bool `json:"review_due"`
	ReviewOverdue bool `json:"review_overdue"`
	// Acked: the caller acknowledged the validated version.
	Acked bool           `json:"acked"`
	Can   ProtocolRights `json:"can"`
}

// ReviewerView is a named reviewer and their decision on the current
// version (empty: not yet).
type ReviewerView struct {
	User     UserView             `json:"user"`
	Decision model.ReviewDecision `json:"decision,omitempty"`
	Comment  string               `json:"comment,omitempty"`
	At       *time.Time           `json:"at,omitempty"`
}

// ReviewView is one decision, any version.
type ReviewView struct {
	model.ProtocolReview
	Reviewer UserView `json:"reviewer"`
}

// ProtocolDetail is the protocol page: the view, the version shown
// (current for who sees drafts, else validated), the reviewers and the
// history of decisions, and suggested reviewers for who may submit.
type ProtocolDetail struct {
	ProtocolView
	Version            model.ProtocolVersion `json:"version"`
	Author             UserView              `json:"author"`
	ReviewerStates     []ReviewerView        `json:"reviewers"`
	Reviews            []ReviewView          `json:"reviews"`
	SuggestedReviewers []UserView            `json:"suggested_reviewers"`
	// PDF is the file of the version's PDF (nil: none).
	PDF *FileView `json:"pdf,omitempty"`
}

// VersionView is a version in the versions list (without content).
type VersionView struct {
	N         int       `json:"n"`
	Author    UserView  `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	Note      string    `json:"note,omitempty"`
	Validated bool      `json:"validated"` // the version in force
	Current   bool      `json:"current"`   // the latest
}

// ProtocolInput creates a protocol.
type ProtocolInput struct {
	CPTSID      model.CPTSID
	Title       string
	Body        string // "" : the template
	Missions    []model.Mission
	Professions []model.Profession
	ReviewDate  model.Date
	Visibility  model.Sharing
	SharedWith  []model.CPTSID
	// PDF is the author's own PDF upload to the CPTS, attached to
	// version 1 ("" none).
	PDF model.FileID
}

// ProtocolPatch changes a protocol: nil fields stay. A new Body makes a new
// version; BaseVersion, when set, must be the current version (the one the
// editor started from).
type ProtocolPatch struct {
	Title       *string
	Body        *string
	Note        string
	BaseVersion int
	Missions    *[]model.Mission
	Professions *[]model.Profession
	ReviewDate  *model.Date
	Visibility  *model.Sharing
	SharedWith  *[]model.CPTSID
	// PDF, when set, is the PDF of a new version: the editor's own PDF
	// upload to the protocol's CPTS, or "" for a version without one.
	// Unset, a new version keeps the current version's PDF (the file stays
	// attached to the version that brought it; readers of a later version
	// carrying it read it too).
	PDF *model.FileID
}

// ProtocolFilter selects protocols of the library.
type ProtocolFilter struct {
	CPTSID     model.CPTSID
	Mission    model.Mission
	Profession model.Profession
	Status     model.ProtocolStatus
	ReviewDue  bool
	After      string
	Limit      int
}

// ProtocolPage is a page of the library.
type ProtocolPage struct {
	Items []ProtocolView `json:"items"`
	Total int            `json:"total"`
	Next  string         `json:"next,omitempty"`
}

// --- validation ---

func (c *Core) checkReviewDate(d model.Date) (model.Date, error) {
	if d == "" {
		return "", nil
	}
	if !d.Valid() {
		return "", model.Invalid("review_date", "invalid_date", "La date de révision n'est pas une date valide (AAAA-MM-JJ).")
	}
	if d.Before(c.today()) {
		return "", model.Invalid("review_date", "review_date_past", "La date de révision ne peut pas être antérieure à aujourd'hui.")
	}
	return d, nil
}

func checkMissions(ms []model.Mission) ([]model.Mission, error) {
	return checkCodes(ms, "missions", "invalid_mission", "Mission inconnue")
}

func checkProfessions(ps []model.Profession) ([]model.Profession, error) {
	return checkCodes(ps, "professions", "invalid_profession", "Profession inconnue")
}

// checkCodes returns the codes without duplicates, in order, or the
// error naming the first unknown one (field, error code, French label).
func checkCodes[T interface {
	~string
	Valid() bool
}](codes []T, field, code, label string) ([]T, error) {
	out := []T{}
	for _, c := range codes {
		if !c.Valid() {
			return nil, model.Invalid(field, code, label+" : « "+string(c)+" ».")
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// checkSharing validates a sharing and the CPTS it lists (real, not the
// owner, no duplicates).
func (c *Core) checkSharing(ctx context.Context, owner model.CPTSID, vis model.Sharing, shared []model.CPTSID) (model.Sharing, []model.CPTSID, error) {
	if vis == "" {
		vis = model.SharingCPTS
	}
	if !vis.Valid() {
		return "", nil, model.Invalid("visibility", "invalid_visibility", "Visibilité inconnue : choisissez cette CPTS, des CPTS listées ou toute la plateforme.")
	}
	if vis != model.SharingListed {
		return vis, nil, nil
	}
	var out []model.CPTSID
	for _, x := range shared {
		if !model.ValidID(string(x)) {
			return "", nil, model.Invalid("shared_with", "invalid_cpts", "Une des CPTS listées est introuvable.")
		}
		if x != owner && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return "", nil, model.Invalid("shared_with", "shared_with_required", "Choisissez au moins une autre CPTS avec qui partager.")
	}
	if len(out) > maxSharedWith {
		return "", nil, model.Invalid("shared_with", "too_many", "Trop de CPTS listées (50 au plus).")
	}
	found, err := c.st.CPTS.ByIDs(ctx, out)
	if err != nil {
		return "", nil, fmt.Errorf("core: sharing: %w", err)
	}
	if len(found) != len(out) {
		return "", nil, model.Invalid("shared_with", "invalid_cpts", "Une des CPTS listées est introuvable.")
	}
	return vis, out, nil
}

// renderProtocol renders and sanitises a body with the project's Markdown
// path.
func (c *Core) renderProtocol(body string) (sanitize.Rendered, error) {
	r, err := c.content.render.Render(body)
	if errors.Is(err, sanitize.ErrTooLong) {
		return r, model.Invalid("body", "too_long", "Le protocole est trop long.")
	}
	return r, err
}

func protocolBody(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return ProtocolTemplate, nil
	}
	return text("body", "Le contenu", raw, true, maxProtocolBody)
}

// --- reading ---

// getProtocol reads a protocol the actor sees; not found otherwise.
func (c *Core) getProtocol(ctx context.Context, a *Actor, id model.ProtocolID) (model.Protocol, error) {
	p, err := c.st.Protocols.Get(ctx, id)
	if isNotFound(err) {
		return model.Protocol{}, errProtocolNotFound
	}
	if err != nil {
		return model.Protocol{}, fmt.Errorf("core: protocol %s: %w", id, err)
	}
	if !a.CanSeeProtocol(p) {
		return model.Protocol{}, errProtocolNotFound
	}
	return p, nil
}

// protocolViews builds the views of ps (all seen by a).
func (c *Core) protocolViews(ctx context.Context, a *Actor, ps []model.Protocol) ([]ProtocolView, error) {
	var owners []model.CPTSID
	var refs []model.ProtocolVersionRef
	for _, p := range ps {
		owners = append(owners, p.CPTSID)
		if p.ValidatedVersion > 0 {
			refs = append(refs, model.ProtocolVersionRef{ProtocolID: p.ID, Version: p.ValidatedVersion})
		}
	}
	slices.Sort(owners)
	cs, err := c.st.CPTS.ByIDs(ctx, slices.Compact(owners))
	if err != nil {
		return nil, fmt.Errorf("core: protocol owners: %w", err)
	}
	names := make(map[model.CPTSID]string, len(cs))
	for _, x := range cs {
		names[x.ID] = x.Name
	}
	acks, err := c.st.ProtocolAcks.ByUser(ctx, a.ID(), refs)
	if err != nil {
		return nil, fmt.Errorf("core: protocol acks: %w", err)
	}
	today := c.today()
	out := make([]ProtocolView, 0, len(ps))
	for _, p := range ps {
		v := ProtocolView{Protocol: p, CPTSName: names[p.CPTSID]}
		_, member := a.activeRole(p.CPTSID)
		v.Shared = !member
		drafts := a.CanSeeProtocolDrafts(p)
		if !drafts {
			// The validated version only.
			v.CurrentVersion = p.ValidatedVersion
			v.Reviewers = []model.UserID{}
			if p.Status != model.ProtocolArchived {
				v.Status = model.ProtocolValidated
			}
		}
		v.StatusLabel = v.Status.Label()
		v.ReviewDue = p.ReviewDue(today.AddDays(reviewDueDays + 1))
		v.ReviewOverdue = p.ReviewDue(today)
		if ack, ok := acks[p.ID]; ok && ack.Version == p.ValidatedVersion {
			v.Acked = true
		}
		live := p.Status != model.ProtocolArchived
		edit := drafts && live && a.CanEditProtocol(p)
		v.Can = ProtocolRights{
			Edit:     edit,
			Submit:   edit && (p.Status == model.ProtocolDraft || p.Status == model.ProtocolInReview),
			Review:   drafts && p.Status == model.ProtocolInReview && a.CanReviewProtocol(p),
			Validate: drafts && p.Status == model.ProtocolInReview && a.CanValidateProtocol(p),
			Archive:  live && a.CanArchiveProtocol(p),
			Ack:      live && !v.Acked && a.CanAckProtocol(p),
			SeeAcks:  p.ValidatedVersion > 0 && a.AckCPTS(p) != "",
		}
		out = append(out, v)
	}
	return out, nil
}

// ProtocolTemplateText returns the template a new protocol starts from.
func (c *Core) ProtocolTemplateText(ctx context.Context, s model.Session) (string, error) {
	if _, err := c.actor(ctx, s); err != nil {
		return "", err
	}
	return ProtocolTemplate, nil
}

// ListProtocols returns a page of the library the caller sees: protocols
// of its CPTS in every state (drafts for coordinateurs and membres), and
// the validated ones shared with it or with the platform.
func (c *Core) ListProtocols(ctx context.Context, s model.Session, f ProtocolFilter) (ProtocolPage, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolPage{}, err
	}
	q := store.ProtocolQuery{Mission: f.Mission, Profession: f.Profession, After: f.After, Limit: f.Limit, Published: true}
	q.Viewer, q.DraftsOf = a.LibraryViewer()
	if f.CPTSID != "" {
		if !model.ValidID(string(f.CPTSID)) {
			return ProtocolPage{}, model.Invalid("cpts_id", "invalid_cpts", "CPTS inconnue.")
		}
		q.Owners = []model.CPTSID{f.CPTSID}
	}
	if f.Mission != "" && !f.Mission.Valid() {
		return ProtocolPage{}, model.Invalid("mission", "invalid_mission", "Mission inconnue : « "+string(f.Mission)+" ».")
	}
	if f.Profession != "" && !f.Profession.Valid() {
		return ProtocolPage{}, model.Invalid("profession", "invalid_profession", "Profession inconnue : « "+string(f.Profession)+" ».")
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return ProtocolPage{}, model.Invalid("status", "invalid_status", "Statut inconnu : « "+string(f.Status)+" ».")
		}
		q.Statuses = []model.ProtocolStatus{f.Status}
	}
	if f.Limit < 0 || f.Limit > 200 {
		return ProtocolPage{}, model.Invalid("limit", "invalid_limit", "La taille de page va de 1 à 200.")
	}
	if f.ReviewDue {
		q.ReviewDueBefore = c.today().AddDays(reviewDueDays + 1)
	}
	page, err := c.st.Protocols.List(ctx, q)
	if err != nil {
		var inv *model.InvalidError
		if errors.As(err, &inv) {
			return ProtocolPage{}, err
		}
		return ProtocolPage{}, fmt.Errorf("core: list protocols: %w", err)
	}
	seen := make([]model.Protocol, 0, len(page.Items))
	for _, p := range page.Items {
		if a.CanSeeProtocol(p) {
			seen = append(seen, p)
		}
	}
	views, err := c.protocolViews(ctx, a, seen)
	if err != nil {
		return ProtocolPage{}, err
	}
	return ProtocolPage{Items: views, Total: page.Total, Next: page.Next}, nil
}

// GetProtocol returns the protocol page.
func (c *Core) GetProtocol(ctx context.Context, s model.Session, id model.ProtocolID) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return ProtocolDetail{}, err
	}
	return c.protocolDetail(ctx, a, p)
}

func (c *Core) protocolDetail(ctx context.Context, a *Actor, p model.Protocol) (ProtocolDetail, error) {
	views, err := c.protocolViews(ctx, a, []model.Protocol{p})
	if err != nil {
		return ProtocolDetail{}, err
	}
	d := ProtocolDetail{ProtocolView: views[0], ReviewerStates: []ReviewerView{}, Reviews: []ReviewView{}, SuggestedReviewers: []UserView{}}
	n := d.CurrentVersion
	if n == 0 { // cannot happen: CanSeeProtocol
		return ProtocolDetail{}, errProtocolNotFound
	}
	if d.Version, err = c.st.ProtocolVersions.Get(ctx, p.ID, n); err != nil {
		return ProtocolDetail{}, fmt.Errorf("core: protocol %s version %d: %w", p.ID, n, err)
	}
	if d.Version.PDF != "" {
		fs, err := c.st.Files.ByIDs(ctx, []model.FileID{d.Version.PDF})
		if err != nil {
			return ProtocolDetail{}, fmt.Errorf("core: protocol %s pdf: %w", p.ID, err)
		}
		if len(fs) == 1 {
			v := FileViewOf(fs[0])
			d.PDF = &v
		}
	}
	ids := []model.UserID{p.AuthorID}
	drafts := a.CanSeeProtocolDrafts(p)
	var reviews []model.ProtocolReview
	if drafts {
		ids = append(ids, p.Reviewers...)
		if reviews, err = c.st.ProtocolReviews.ByProtocol(ctx, p.ID); err != nil {
			return ProtocolDetail{}, fmt.Errorf("core: reviews of %s: %w", p.ID, err)
		}
		for _, r := range reviews {
			ids = append(ids, r.ReviewerID)
		}
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return ProtocolDetail{}, fmt.Errorf("core: protocol users: %w", err)
	}
	uv := func(id model.UserID) UserView {
		if u, ok := users[id]; ok {
			return userView(u, false)
		}
		return deletedUser(id)
	}
	d.Author = uv(p.AuthorID)
	if drafts {
		for _, r := range p.Reviewers {
			rv := ReviewerView{User: uv(r)}
			for _, x := range reviews {
				if x.ReviewerID == r && x.Version == p.CurrentVersion {
					at := x.At
					rv.Decision, rv.Comment, rv.At = x.Decision, x.Comment, &at
				}
			}
			d.ReviewerStates = append(d.ReviewerStates, rv)
		}
		for _, x := range reviews {
			d.Reviews = append(d.Reviews, ReviewView{ProtocolReview: x, Reviewer: uv(x.ReviewerID)})
		}
	}
	if d.Can.Submit {
		if d.SuggestedReviewers, err = c.suggestReviewers(ctx, p); err != nil {
			return ProtocolDetail{}, err
		}
	}
	return d, nil
}

// suggestReviewers: per target profession, one coordinateur or membre of
// the CPTS of that profession who may review (the first by name).
func (c *Core) suggestReviewers(ctx context.Context, p model.Protocol) ([]UserView, error) {
	out := []UserView{}
	if len(p.Professions) == 0 {
		return out, nil
	}
	ms, err := c.st.Memberships.ByCPTS(ctx, p.CPTSID)
	if err != nil {
		return nil, fmt.Errorf("core: reviewers of %s: %w", p.ID, err)
	}
	var ids []model.UserID
	for _, m := range ms {
		if CanBeProtocolReviewer(p, m.UserID, m) {
			ids = append(ids, m.UserID)
		}
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: reviewers of %s: %w", p.ID, err)
	}
	cands := make([]model.User, 0, len(users))
	for _, u := range users {
		cands = append(cands, u)
	}
	sortFolded(cands, func(u model.User) string { return u.Name })
	for _, prof := range p.Professions {
		for _, u := range cands {
			if u.Profession == prof {
				out = append(out, userView(u, false))
				break
			}
		}
	}
	return out, nil
}

// ProtocolVersions lists the versions the caller sees, latest last.
func (c *Core) ProtocolVersions(ctx context.Context, s model.Session, id model.ProtocolID) ([]VersionView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return nil, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return nil, err
	}
	upTo := p.CurrentVersion
	if !a.CanSeeProtocolDrafts(p) {
		upTo = p.ValidatedVersion
	}
	vs, err := c.st.ProtocolVersions.List(ctx, id, upTo)
	if err != nil {
		return nil, fmt.Errorf("core: versions of %s: %w", id, err)
	}
	ids := make([]model.UserID, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.AuthorID)
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("core: versions of %s: %w", id, err)
	}
	out := make([]VersionView, 0, len(vs))
	for _, v := range vs {
		vv := VersionView{N: v.N, CreatedAt: v.CreatedAt, Note: v.Note, Validated: v.N == p.ValidatedVersion, Current: v.N == upTo}
		if u, ok := users[v.AuthorID]; ok {
			vv.Author = userView(u, false)
		} else {
			vv.Author = deletedUser(v.AuthorID)
		}
		out = append(out, vv)
	}
	return out, nil
}

// ProtocolVersion returns one version with its content, when the caller
// sees it.
func (c *Core) ProtocolVersion(ctx context.Context, s model.Session, id model.ProtocolID, n int) (model.ProtocolVersion, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return model.ProtocolVersion{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return model.ProtocolVersion{}, err
	}
	upTo := p.CurrentVersion
	if !a.CanSeeProtocolDrafts(p) {
		upTo = p.ValidatedVersion
	}
	if n < 1 || n > upTo {
		return model.ProtocolVersion{}, errVersionNotFound
	}
	v, err := c.st.ProtocolVersions.Get(ctx, id, n)
	if err != nil {
		return model.ProtocolVersion{}, fmt.Errorf("core: version %d of %s: %w", n, id, err)
	}
	return v, nil
}

// --- writing ---

// CreateProtocol writes a new protocol, in brouillon, with its version 1.
func (c *Core) CreateProtocol(ctx context.Context, s model.Session, in ProtocolInput) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	if !model.ValidID(string(in.CPTSID)) || !a.CanSeeCPTS(in.CPTSID) {
		return ProtocolDetail{}, errCPTSNotFound
	}
	if !a.CanCreateProtocol(in.CPTSID) {
		return ProtocolDetail{}, errForbidden
	}
	p := model.Protocol{CPTSID: in.CPTSID, Status: model.ProtocolDraft, AuthorID: a.ID(), Reviewers: []model.UserID{}}
	if p.Title, err = oneLine("title", "Le titre", in.Title, true, maxProtocolTitle); err != nil {
		return ProtocolDetail{}, err
	}
	if p.Missions, err = checkMissions(in.Missions); err != nil {
		return ProtocolDetail{}, err
	}
	if p.Professions, err = checkProfessions(in.Professions); err != nil {
		return ProtocolDetail{}, err
	}
	if p.ReviewDate, err = c.checkReviewDate(in.ReviewDate); err != nil {
		return ProtocolDetail{}, err
	}
	if p.Visibility, p.SharedWith, err = c.checkSharing(ctx, in.CPTSID, in.Visibility, in.SharedWith); err != nil {
		return ProtocolDetail{}, err
	}
	body, err := protocolBody(in.Body)
	if err != nil {
		return ProtocolDetail{}, err
	}
	r, err := c.renderProtocol(body)
	if err != nil {
		return ProtocolDetail{}, err
	}
	pdf, err := c.loadProtocolPDF(ctx, a, in.PDF, in.CPTSID)
	if err != nil {
		return ProtocolDetail{}, err
	}
	now := c.now().UTC()
	p.CreatedAt = now
	v := model.ProtocolVersion{Body: body, HTML: r.HTML, Text: r.Text, AuthorID: a.ID(), CreatedAt: now, Note: "Première version", PDF: in.PDF}
	p, err = c.st.Protocols.Create(ctx, p, v)
	if err != nil {
		return ProtocolDetail{}, fmt.Errorf("core: create protocol: %w", err)
	}
	if err := c.attachProtocolPDF(ctx, pdf, p.ID, 1); err != nil {
		return ProtocolDetail{}, err
	}
	c.touch(ctx, store.OutboxProtocol, string(p.ID))
	c.publishProtocol(ctx, p)
	return c.protocolDetail(ctx, a, p)
}

// apply runs one transition of protocol id through the store's Apply: the
// caller must see the protocol (checked on every attempt, on the state
// read), then decide judges the state. A decision that a concurrent
// change made stale is taken again on the new state.
func (c *Core) apply(ctx context.Context, a *Actor, id model.ProtocolID, decide func(p model.Protocol) (store.ProtocolTransition, error)) (model.Protocol, error) {
	var before model.Protocol
	p, err := c.st.Protocols.Apply(ctx, id, func(p model.Protocol) (store.ProtocolTransition, error) {
		before = p
		if !a.CanSeeProtocol(p) {
			return store.ProtocolTransition{}, errProtocolNotFound
		}
		tr, err := decide(p)
		if err != nil {
			return tr, err
		}
		tr.ActorID, tr.At = a.ID(), c.now().UTC()
		return tr, nil
	})
	if isNotFound(err) {
		return model.Protocol{}, errProtocolNotFound
	}
	if err == nil {
		// Every transition (edit, sharing, review, validation, archive)
		// is re-indexed.
		c.touch(ctx, store.OutboxProtocol, string(id))
		// Those who see it before or after: a narrower sharing tells
		// those who lost it too.
		c.publishProtocol(ctx, before, p)
	}
	return p, err
}

// UpdateProtocol changes a protocol: a new body is a new version (which,
// on a validated protocol, starts a new draft; in relecture, asks the
// reviewers to review it); the rest is metadata.
func (c *Core) UpdateProtocol(ctx context.Context, s model.Session, id model.ProtocolID, in ProtocolPatch) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	// Check the input once, outside the retries.
	var title, body, note string
	var r sanitize.Rendered
	if in.Title != nil {
		if title, err = oneLine("title", "Le titre", *in.Title, true, maxProtocolTitle); err != nil {
			return ProtocolDetail{}, err
		}
	}
	if in.Body != nil {
		if body, err = text("body", "Le contenu", *in.Body, true, maxProtocolBody); err != nil {
			return ProtocolDetail{}, err
		}
		if r, err = c.renderProtocol(body); err != nil {
			return ProtocolDetail{}, err
		}
	}
	if note, err = oneLine("note", "Le résumé de la modification", in.Note, false, maxProtocolNote); err != nil {
		return ProtocolDetail{}, err
	}
	var missions []model.Mission
	var profs []model.Profession
	var review model.Date
	if in.Missions != nil {
		if missions, err = checkMissions(*in.Missions); err != nil {
			return ProtocolDetail{}, err
		}
	}
	if in.Professions != nil {
		if profs, err = checkProfessions(*in.Professions); err != nil {
			return ProtocolDetail{}, err
		}
	}
	if in.ReviewDate != nil {
		if review, err = c.checkReviewDate(*in.ReviewDate); err != nil {
			return ProtocolDetail{}, err
		}
	}
	var pdf []model.File
	p, err := c.apply(ctx, a, id, func(p model.Protocol) (store.ProtocolTransition, error) {
		pdf = nil
		if !a.CanEditProtocol(p) || !a.CanSeeProtocolDrafts(p) {
			return store.ProtocolTransition{}, errForbidden
		}
		if p.Status == model.ProtocolArchived {
			return store.ProtocolTransition{}, errProtocolArchived
		}
		next := p
		tr := store.ProtocolTransition{Kind: model.ProtocolEventUpdated, Note: note}
		if in.Title != nil {
			next.Title = title
		}
		if in.Missions != nil {
			next.Missions = missions
		}
		if in.Professions != nil {
			next.Professions = profs
		}
		if in.ReviewDate != nil {
			next.ReviewDate = review
		}
		if in.Visibility != nil || in.SharedWith != nil {
			vis, shared := p.Visibility, p.SharedWith
			if in.Visibility != nil {
				vis = *in.Visibility
			}
			if in.SharedWith != nil {
				shared = *in.SharedWith
			}
			var err error
			if next.Visibility, next.SharedWith, err = c.checkSharing(ctx, p.CPTSID, vis, shared); err != nil {
				return tr, err
			}
		}
		if in.Body != nil || in.PDF != nil {
			if in.BaseVersion != 0 && in.BaseVersion != p.CurrentVersion {
				return tr, errProtocolEditConflict
			}
			cur, err := c.st.ProtocolVersions.Get(ctx, p.ID, p.CurrentVersion)
			if err != nil {
				return tr, fmt.Errorf("core: version %d of %s: %w", p.CurrentVersion, p.ID, err)
			}
			// The PDF stays from version to version unless the patch
			// names another one, or "" to remove it.
			vBody, vr, vPDF := body, r, cur.PDF
			if in.Body == nil {
				vBody, vr = cur.Body, sanitize.Rendered{HTML: cur.HTML, Text: cur.Text}
			}
			if in.PDF != nil && *in.PDF != cur.PDF {
				vPDF = *in.PDF
				if pdf, err = c.loadProtocolPDF(ctx, a, vPDF, p.CPTSID); err != nil {
					return tr, err
				}
			}
			if cur.Body != vBody || cur.PDF != vPDF {
				next.CurrentVersion = p.CurrentVersion + 1
				tr.Kind = model.ProtocolEventEdited
				tr.Version = &model.ProtocolVersion{N: next.CurrentVersion, Body: vBody, HTML: vr.HTML, Text: vr.Text,
					AuthorID: a.ID(), CreatedAt: c.now().UTC(), Note: note, PDF: vPDF}
				if p.Status == model.ProtocolValidated {
					next.Status = model.ProtocolDraft // a new draft; the validated version stays in force
					next.Reviewers = []model.UserID{}
				}
			}
		}
		tr.State = next
		return tr, nil
	})
	if err != nil {
		return ProtocolDetail{}, err
	}
	if err := c.attachProtocolPDF(ctx, pdf, p.ID, p.CurrentVersion); err != nil {
		return ProtocolDetail{}, err
	}
	return c.protocolDetail(ctx, a, p)
}

var errProtocolPDF = model.Invalid("pdf_file_id", "protocol_pdf_not_pdf", "Le fichier joint à un protocole doit être un PDF.")

// loadProtocolPDF checks the PDF of a new version: the actor's own
// unattached upload to the protocol's CPTS, a PDF. "" : none.
func (c *Core) loadProtocolPDF(ctx context.Context, a *Actor, id model.FileID, cpts model.CPTSID) ([]model.File, error) {
	if id == "" {
		return nil, nil
	}
	fs, err := c.loadFiles(ctx, a, []model.FileID{id}, FileWhere{CPTS: cpts})
	if err != nil {
		return nil, err
	}
	if fs[0].ContentType != "application/pdf" {
		return nil, errProtocolPDF
	}
	return fs, nil
}

// attachProtocolPDF attaches the checked PDF to version n of protocol id.
func (c *Core) attachProtocolPDF(ctx context.Context, pdf []model.File, id model.ProtocolID, n int) error {
	if len(pdf) == 0 {
		return nil
	}
	return c.attachLoaded(ctx, pdf, model.Attachment{Kind: model.AttachProtocolVersion, ID: string(id) + ":" + strconv.Itoa(n)})
}

// SubmitProtocol sends the protocol to review (relecture) with these
// reviewers; in relecture, it changes them.
func (c *Core) SubmitProtocol(ctx context.Context, s model.Session, id model.ProtocolID, reviewers []model.UserID) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	var rs []model.UserID
	for _, r := range reviewers {
		if !model.ValidID(string(r)) {
			return ProtocolDetail{}, model.Invalid("reviewer_ids", "invalid_reviewer", "Un des relecteurs est introuvable.")
		}
		if !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return ProtocolDetail{}, model.Invalid("reviewer_ids", "reviewers_required", "Nommez au moins un relecteur (un par profession concernée, par exemple).")
	}
	if len(rs) > maxProtocolReviewers {
		return ProtocolDetail{}, model.Invalid("reviewer_ids", "too_many", "10 relecteurs au plus.")
	}
	p, err := c.apply(ctx, a, id, func(p model.Protocol) (store.ProtocolTransition, error) {
		if !a.CanEditProtocol(p) || !a.CanSeeProtocolDrafts(p) {
			return store.ProtocolTransition{}, errForbidden
		}
		switch p.Status {
		case model.ProtocolArchived:
			return store.ProtocolTransition{}, errProtocolArchived
		case model.ProtocolValidated:
			return store.ProtocolTransition{}, errProtocolNotDraft
		}
		for _, r := range rs {
			if r == p.AuthorID {
				return store.ProtocolTransition{}, model.Invalid("reviewer_ids", "reviewer_is_author", "L'auteur ne peut pas relire son propre protocole.")
			}
			m, err := c.st.Memberships.Get(ctx, p.CPTSID, r)
			if isNotFound(err) || err == nil && !CanBeProtocolReviewer(p, r, m) {
				return store.ProtocolTransition{}, model.Invalid("reviewer_ids", "invalid_reviewer",
					"Chaque relecteur doit être coordinateur·rice ou membre de la CPTS du protocole.")
			}
			if err != nil {
				return store.ProtocolTransition{}, fmt.Errorf("core: reviewer %s: %w", r, err)
			}
		}
		next := p
		next.Reviewers = rs
		kind := model.ProtocolEventSubmitted
		if p.Status == model.ProtocolInReview {
			kind = model.ProtocolEventReviewersChanged
		}
		next.Status = model.ProtocolInReview
		return store.ProtocolTransition{Kind: kind, State: next}, nil
	})
	if err != nil {
		return ProtocolDetail{}, err
	}
	return c.protocolDetail(ctx, a, p)
}

// ReviewProtocol records a named reviewer's decision on the current
// version: approve, or request changes with a comment. Once per version.
func (c *Core) ReviewProtocol(ctx context.Context, s model.Session, id model.ProtocolID, version int, decision model.ReviewDecision, comment string) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	if !decision.Valid() {
		return ProtocolDetail{}, model.Invalid("decision", "invalid_decision", "Décision inconnue : approuver (approve) ou demander des modifications (changes_requested).")
	}
	if comment, err = text("comment", "Le commentaire", comment, decision == model.ReviewChangesRequested, maxReviewComment); err != nil {
		return ProtocolDetail{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return ProtocolDetail{}, err
	}
	if !a.CanSeeProtocolDrafts(p) || !a.CanReviewProtocol(p) {
		return ProtocolDetail{}, errNotAReviewer
	}
	switch p.Status {
	case model.ProtocolArchived:
		return ProtocolDetail{}, errProtocolArchived
	case model.ProtocolInReview:
	default:
		return ProtocolDetail{}, errProtocolNotInReview
	}
	if version == 0 {
		version = p.CurrentVersion
	}
	if version != p.CurrentVersion {
		return ProtocolDetail{}, model.Coded(model.ErrConflict, "review_version_not_current",
			"Une nouvelle version a été enregistrée : relisez la version "+strconv.Itoa(p.CurrentVersion)+".")
	}
	err = c.st.ProtocolReviews.Insert(ctx, model.ProtocolReview{ProtocolID: id, Version: version, ReviewerID: a.ID(),
		Decision: decision, Comment: comment, At: c.now().UTC()})
	if errors.Is(err, model.ErrConflict) {
		return ProtocolDetail{}, errAlreadyReviewed
	}
	if err != nil {
		return ProtocolDetail{}, fmt.Errorf("core: review %s: %w", id, err)
	}
	c.publishProtocol(ctx, p)
	return c.GetProtocol(ctx, s, id)
}

// ValidateProtocol makes the current version the validated one: a
// coordinator of the CPTS, once every named reviewer approved it.
func (c *Core) ValidateProtocol(ctx context.Context, s model.Session, id model.ProtocolID) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	p, err := c.apply(ctx, a, id, func(p model.Protocol) (store.ProtocolTransition, error) {
		if !a.CanValidateProtocol(p) {
			return store.ProtocolTransition{}, errForbidden
		}
		switch p.Status {
		case model.ProtocolArchived:
			return store.ProtocolTransition{}, errProtocolArchived
		case model.ProtocolInReview:
		default:
			return store.ProtocolTransition{}, errProtocolNotInReview
		}
		if len(p.Reviewers) == 0 {
			return store.ProtocolTransition{}, errProtocolReviewsPending
		}
		got, err := c.st.ProtocolReviews.Of(ctx, p.ID, p.CurrentVersion, p.Reviewers)
		if err != nil {
			return store.ProtocolTransition{}, fmt.Errorf("core: reviews of %s: %w", p.ID, err)
		}
		for _, r := range p.Reviewers {
			if got[r].Decision != model.ReviewApprove {
				return store.ProtocolTransition{}, errProtocolReviewsPending
			}
		}
		next := p
		now := c.now().UTC()
		next.Status, next.ValidatedVersion, next.ValidatedAt, next.ValidatedBy = model.ProtocolValidated, p.CurrentVersion, &now, a.ID()
		return store.ProtocolTransition{Kind: model.ProtocolEventValidated, State: next}, nil
	})
	if err != nil {
		return ProtocolDetail{}, err
	}
	return c.protocolDetail(ctx, a, p)
}

// ArchiveProtocol retires a protocol: a coordinator of the CPTS.
func (c *Core) ArchiveProtocol(ctx context.Context, s model.Session, id model.ProtocolID) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	p, err := c.apply(ctx, a, id, func(p model.Protocol) (store.ProtocolTransition, error) {
		if !a.CanArchiveProtocol(p) {
			return store.ProtocolTransition{}, errForbidden
		}
		if p.Status == model.ProtocolArchived {
			return store.ProtocolTransition{}, errProtocolArchived
		}
		next := p
		next.Status = model.ProtocolArchived
		return store.ProtocolTransition{Kind: model.ProtocolEventArchived, State: next}, nil
	})
	if err != nil {
		return ProtocolDetail{}, err
	}
	return c.protocolDetail(ctx, a, p)
}

// AckProtocol records "j'ai lu et j'applique" for the validated version
// in force (version must name it); repeating it is harmless.
func (c *Core) AckProtocol(ctx context.Context, s model.Session, id model.ProtocolID, version int) (ProtocolDetail, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return ProtocolDetail{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return ProtocolDetail{}, err
	}
	if p.Status == model.ProtocolArchived {
		return ProtocolDetail{}, errProtocolArchived
	}
	if p.ValidatedVersion == 0 || version != p.ValidatedVersion {
		return ProtocolDetail{}, errAckNotCurrent
	}
	if !a.CanAckProtocol(p) {
		return ProtocolDetail{}, errAckNotAllowed
	}
	err = c.st.ProtocolAcks.Insert(ctx, model.ProtocolAck{ProtocolID: id, Version: version, UserID: a.ID(), At: c.now().UTC()})
	if err != nil && !errors.Is(err, model.ErrConflict) {
		return ProtocolDetail{}, fmt.Errorf("core: ack %s: %w", id, err)
	}
	if err == nil { // the acknowledgement counts changed
		c.publishProtocolAck(ctx, p, a.ID())
	}
	return c.protocolDetail(ctx, a, p)
}

// AckEntry is a member in the acknowledgement report.
type AckEntry struct {
	User UserView   `json:"user"`
	At   *time.Time `json:"at,omitempty"`
}

// AckGroup is one profession of the report.
type AckGroup struct {
	Profession model.Profession `json:"profession"`
	Label      string           `json:"label"`
	Acked      []AckEntry       `json:"acked"`
	Pending    []AckEntry       `json:"pending"`
}

// AckReport says who among the active members of a CPTS (of the target
// professions, when the protocol names some) acknowledged the validated
// version, by profession.
type AckReport struct {
	Version      int        `json:"version"`
	CPTS         CPTSRef    `json:"cpts"`
	Professions  []AckGroup `json:"professions"`
	AckedCount   int        `json:"acked_count"`
	PendingCount int        `json:"pending_count"`
}

// ProtocolAcks returns the report for CPTS cpts ("" the default one, see
// Actor.AckCPTS).
func (c *Core) ProtocolAcks(ctx context.Context, s model.Session, id model.ProtocolID, cpts model.CPTSID) (AckReport, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return AckReport{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return AckReport{}, err
	}
	return c.ackReport(ctx, a, p, cpts)
}

func (c *Core) ackReport(ctx context.Context, a *Actor, p model.Protocol, cpts model.CPTSID) (AckReport, error) {
	if cpts == "" {
		cpts = a.AckCPTS(p)
	}
	if cpts == "" || !a.CanSeeProtocolAcks(p, cpts) {
		return AckReport{}, errForbidden
	}
	if p.ValidatedVersion == 0 {
		return AckReport{}, errAckNotCurrent
	}
	x, err := c.st.CPTS.ByID(ctx, cpts)
	if err != nil {
		return AckReport{}, fmt.Errorf("core: acks of %s: %w", p.ID, err)
	}
	ids, err := c.activeMembers(ctx, cpts)
	if err != nil {
		return AckReport{}, fmt.Errorf("core: acks of %s: %w", p.ID, err)
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return AckReport{}, fmt.Errorf("core: acks of %s: %w", p.ID, err)
	}
	var people []model.User
	for _, id := range ids {
		u, ok := users[id]
		if ok && (len(p.Professions) == 0 || slices.Contains(p.Professions, u.Profession)) {
			people = append(people, u)
		}
	}
	sortFolded(people, func(u model.User) string { return u.Name })
	pids := make([]model.UserID, len(people))
	for i, u := range people {
		pids[i] = u.ID
	}
	acks, err := c.st.ProtocolAcks.Of(ctx, p.ID, p.ValidatedVersion, pids)
	if err != nil {
		return AckReport{}, fmt.Errorf("core: acks of %s: %w", p.ID, err)
	}
	r := AckReport{Version: p.ValidatedVersion, CPTS: CPTSRef{ID: x.ID, Name: x.Name, Department: x.Department}, Professions: []AckGroup{}}
	groups := map[model.Profession]*AckGroup{}
	var order []model.Profession
	for _, u := range people {
		g, ok := groups[u.Profession]
		if !ok {
			g = &AckGroup{Profession: u.Profession, Label: u.Profession.Label(), Acked: []AckEntry{}, Pending: []AckEntry{}}
			groups[u.Profession] = g
			order = append(order, u.Profession)
		}
		if ack, ok := acks[u.ID]; ok {
			at := ack.At
			g.Acked = append(g.Acked, AckEntry{User: userView(u, false), At: &at})
			r.AckedCount++
		} else {
			g.Pending = append(g.Pending, AckEntry{User: userView(u, false)})
			r.PendingCount++
		}
	}
	slices.SortFunc(order, func(x, y model.Profession) int { return cmp.Compare(x.Label(), y.Label()) })
	for _, prof := range order {
		r.Professions = append(r.Professions, *groups[prof])
	}
	return r, nil
}

// RemindResult says how many members were reminded.
type RemindResult struct {
	Sent int `json:"sent"`
}

// RemindProtocol e-mails the members of the CPTS who have not
// acknowledged the validated version yet, with a link to it.
func (c *Core) RemindProtocol(ctx context.Context, s model.Session, id model.ProtocolID, cpts model.CPTSID) (RemindResult, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return RemindResult{}, err
	}
	p, err := c.getProtocol(ctx, a, id)
	if err != nil {
		return RemindResult{}, err
	}
	if p.Status == model.ProtocolArchived {
		return RemindResult{}, errProtocolArchived
	}
	r, err := c.ackReport(ctx, a, p, cpts)
	if err != nil {
		return RemindResult{}, err
	}
	if c.mail.send == nil {
		return RemindResult{}, model.Coded(model.ErrNotConfigured, "mail_not_configured", "L'envoi d'e-mails n'est pas configuré sur ce serveur.")
	}
	link := strings.TrimRight(c.mail.public, "/") + "/protocoles/" + string(p.ID)
	var ids []model.UserID
	for _, g := range r.Professions {
		for _, e := range g.Pending {
			ids = append(ids, e.User.ID)
		}
	}
	users, err := c.usersByID(ctx, ids)
	if err != nil {
		return RemindResult{}, fmt.Errorf("core: remind %s: %w", id, err)
	}
	res := RemindResult{}
	for _, uid := range ids {
		u, ok := users[uid]
		if !ok || u.Email == "" {
			continue
		}
		m := mailer.Mail{
			To:      u.Email,
			Subject: "Protocole à lire : " + p.Title,
			Text: "Bonjour,\n\n" + a.User.Name + " (" + r.CPTS.Name + ") vous invite à lire le protocole « " + p.Title +
				" » (version " + strconv.Itoa(p.ValidatedVersion) + ") et à confirmer que vous l'appliquez.\n\n" +
				"Ouvrir le protocole :\n" + link + "\n\n— e-CPTS\n",
		}
		if err := c.mail.send.Send(ctx, m); err != nil {
			c.log.Error("send protocol reminder", "protocol_id", p.ID, "err", err)
			if res.Sent == 0 {
				return res, model.Coded(ErrUpstream, "mail_failed", "Les rappels n'ont pas pu être envoyés. Réessayez dans quelques minutes.")
			}
			break
		}
		res.Sent++
	}
	return res, nil
}

// ProtocolPreview is the body as the library will show it.
type ProtocolPreview struct {
	HTML string `json:"html"`
}

// PreviewProtocol renders a body with the same Markdown and sanitising
// path as a saved version (the editor's live preview).
func (c *Core) PreviewProtocol(ctx context.Context, s model.Session, body string) (ProtocolPreview, error) {
	if _, err := c.actor(ctx, s); err != nil {
		return ProtocolPreview{}, err
	}
	b, err := text("body", "Le contenu", body, false, maxProtocolBody)
	if err != nil {
		return ProtocolPreview{}, err
	}
	r, err := c.renderProtocol(b)
	if err != nil {
		return ProtocolPreview{}, err
	}
	return ProtocolPreview{HTML: r.HTML}, nil
}
