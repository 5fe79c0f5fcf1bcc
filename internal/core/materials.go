package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Prevention materials: a file (uploaded with POST /files, then attached
// here) or a link, tagged by theme, campaign, audience and language, with
// validity dates, shared like protocols (policy.go).

const (
	maxMaterialTitle = 200
	maxMaterialDesc  = 2000
	maxMaterialURL   = 2000
	// campaignHorizonDays: how far ahead "campagnes à venir" looks.
	campaignHorizonDays = 90
)

var (
	errMaterialNotFound = notFound("Ce support de prévention est introuvable.")
	languageTag         = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

func init() {
	attachmentReaders[model.AttachMaterial] = (*Core).canReadMaterialAttachment
}

// canReadMaterialAttachment: the file of a material is read by whoever
// sees the material.
func (c *Core) canReadMaterialAttachment(ctx context.Context, a *Actor, target string) error {
	m, err := c.st.Materials.ByID(ctx, model.MaterialID(target))
	if err != nil || !a.CanSeeMaterial(m) {
		return errFileNotFound
	}
	return nil
}

// MaterialInput creates a material: URL for a link, or FileID for a file
// uploaded to the same CPTS (exactly one of them).
type MaterialInput struct {
	CPTSID      model.CPTSID           `json:"cpts_id"`
	Title       string                 `json:"title"`
	Description string                 `json:"description,omitempty"`
	URL         string                 `json:"url,omitempty"`
	FileID      model.FileID           `json:"file_id,omitempty"`
	Theme       model.Theme            `json:"theme"`
	Campaign    model.Campaign         `json:"campaign,omitempty"`
	Audience    model.MaterialAudience `json:"audience"`
	Language    string                 `json:"language,omitempty"` // default "fr"
	ValidFrom   model.Date             `json:"valid_from,omitempty"`
	ValidTo     model.Date             `json:"valid_to,omitempty"`
	Visibility  model.Sharing          `json:"visibility,omitempty"`
	SharedWith  []model.CPTSID         `json:"shared_with,omitempty"`
}

// MaterialView is a material as a caller sees it.
type MaterialView struct {
	model.Material
	CPTSName      string    `json:"cpts_name"`
	Shared        bool      `json:"shared"` // owned by a CPTS the caller is not a member of
	ThemeLabel    string    `json:"theme_label"`
	CampaignLabel string    `json:"campaign_label,omitempty"`
	Current       bool      `json:"current"` // valid today
	File          *FileView `json:"file,omitempty"`
	CanEdit       bool      `json:"can_edit"`
}

// MaterialFilter selects materials.
type MaterialFilter struct {
	CPTSID   model.CPTSID
	Theme    model.Theme
	Campaign model.Campaign
	Audience model.MaterialAudience
	Current  bool // valid today only
	After    string
	Limit    int
}

// MaterialPage is a page of materials.
type MaterialPage struct {
	Items []MaterialView `json:"items"`
	Total int            `json:"total"`
	Next  string         `json:"next,omitempty"`
}

// ThemeInfo and CampaignRef describe the catalogue for the UI.
type ThemeInfo struct {
	Code  model.Theme `json:"code"`
	Label string      `json:"label"`
}

// MaterialCatalog: the themes, the campaigns, and the campaigns under way
// or starting within 90 days ("campagnes en cours et à venir").
type MaterialCatalog struct {
	Themes    []ThemeInfo                `json:"themes"`
	Campaigns []model.CampaignInfo       `json:"campaigns"`
	Upcoming  []model.CampaignOccurrence `json:"upcoming"`
}

// MaterialCatalog returns the catalogue and the campaigns of the moment.
func (c *Core) MaterialCatalog(ctx context.Context, s model.Session) (MaterialCatalog, error) {
	if _, err := c.actor(ctx, s); err != nil {
		return MaterialCatalog{}, err
	}
	out := MaterialCatalog{Themes: []ThemeInfo{}, Campaigns: slices.Clone(model.Campaigns)}
	for _, t := range model.Themes {
		out.Themes = append(out.Themes, ThemeInfo{Code: t.Code, Label: t.Label})
	}
	out.Upcoming = model.CampaignsAt(c.today(), campaignHorizonDays)
	if out.Upcoming == nil {
		out.Upcoming = []model.CampaignOccurrence{}
	}
	return out, nil
}

func checkLink(raw string) (string, error) {
	u := strings.TrimSpace(raw)
	if len(u) > maxMaterialURL {
		return "", model.Invalid("url", "invalid_url", "Le lien est trop long (2 000 caractères au plus).")
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
		return "", model.Invalid("url", "invalid_url", "Le lien doit être une adresse web complète (https://…).")
	}
	return p.String(), nil
}

// CreateMaterial adds a material to a CPTS.
func (c *Core) CreateMaterial(ctx context.Context, s model.Session, in MaterialInput) (MaterialView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MaterialView{}, err
	}
	if !model.ValidID(string(in.CPTSID)) || !a.CanSeeCPTS(in.CPTSID) {
		return MaterialView{}, errCPTSNotFound
	}
	if !a.CanCreateMaterial(in.CPTSID) {
		return MaterialView{}, errForbidden
	}
	m := model.Material{ID: model.MaterialID(model.NewID()), CPTSID: in.CPTSID, AuthorID: a.ID(), CreatedAt: c.now().UTC()}
	if m.Title, err = oneLine("title", "Le titre", in.Title, true, maxMaterialTitle); err != nil {
		return MaterialView{}, err
	}
	if m.Description, err = text("description", "La description", in.Description, false, maxMaterialDesc); err != nil {
		return MaterialView{}, err
	}
	switch {
	case in.URL != "" && in.FileID != "":
		return MaterialView{}, model.Invalid("url", "material_source_conflict", "Un support est soit un fichier, soit un lien : pas les deux.")
	case in.URL != "":
		m.Kind = model.MaterialLink
		if m.URL, err = checkLink(in.URL); err != nil {
			return MaterialView{}, err
		}
	case in.FileID != "":
		m.Kind, m.FileID = model.MaterialFile, in.FileID
		if !model.ValidID(string(in.FileID)) {
			return MaterialView{}, model.Invalid("file_id", "file_not_found", "Le fichier est introuvable : déposez-le de nouveau.")
		}
	default:
		return MaterialView{}, model.Invalid("url", "material_source_required", "Déposez un fichier ou indiquez un lien.")
	}
	if m.Theme = in.Theme; !m.Theme.Valid() {
		return MaterialView{}, model.Invalid("theme", "invalid_theme", "Choisissez un thème.")
	}
	if m.Campaign = in.Campaign; m.Campaign != "" && !m.Campaign.Valid() {
		return MaterialView{}, model.Invalid("campaign", "invalid_campaign", "Campagne inconnue.")
	}
	if m.Audience = in.Audience; !m.Audience.Valid() {
		return MaterialView{}, model.Invalid("audience", "invalid_audience", "Choisissez le public : patients ou professionnels.")
	}
	if m.Language = strings.TrimSpace(in.Language); m.Language == "" {
		m.Language = "fr"
	}
	if !languageTag.MatchString(m.Language) {
		return MaterialView{}, model.Invalid("language", "invalid_language", "Langue non valide (par exemple fr, en, ar).")
	}
	m.ValidFrom, m.ValidTo = in.ValidFrom, in.ValidTo
	if m.ValidFrom != "" && !m.ValidFrom.Valid() {
		return MaterialView{}, model.Invalid("valid_from", "invalid_date", "Date de début non valide (AAAA-MM-JJ).")
	}
	if m.ValidTo != "" && !m.ValidTo.Valid() {
		return MaterialView{}, model.Invalid("valid_to", "invalid_date", "Date de fin non valide (AAAA-MM-JJ).")
	}
	if m.ValidFrom != "" && m.ValidTo != "" && m.ValidTo.Before(m.ValidFrom) {
		return MaterialView{}, model.Invalid("valid_to", "validity_order", "La fin de validité précède son début.")
	}
	if m.Visibility, m.SharedWith, err = c.checkSharing(ctx, in.CPTSID, in.Visibility, in.SharedWith); err != nil {
		return MaterialView{}, err
	}
	// The file first (checked and attached, or nothing), then the
	// material; should the material not be stored, the file is detached.
	if m.Kind == model.MaterialFile {
		if _, err := c.AttachFiles(ctx, a, []model.FileID{m.FileID}, model.Attachment{Kind: model.AttachMaterial, ID: string(m.ID)},
			FileWhere{CPTS: in.CPTSID}); err != nil {
			return MaterialView{}, err
		}
	}
	stored, err := c.st.Materials.Insert(ctx, m)
	if err != nil {
		// Stored but not indexed: the material exists (RepairIndex lists
		// it), so its file stays attached.
		if got, gerr := c.st.Materials.ByID(context.WithoutCancel(ctx), m.ID); gerr == nil {
			c.log.Error("material stored, not indexed", "material_id", m.ID, "err", err)
			stored = got
		} else {
			if m.Kind == model.MaterialFile {
				if derr := c.st.Files.Detach(context.WithoutCancel(ctx), m.FileID); derr != nil {
					c.log.Error("detach file of unstored material", "file_id", m.FileID, "err", derr)
				}
			}
			return MaterialView{}, fmt.Errorf("core: create material: %w", err)
		}
	}
	c.touch(ctx, store.OutboxMaterial, string(stored.ID))
	c.publishMaterial(ctx, stored)
	vs, err := c.materialViews(ctx, a, []model.Material{stored})
	if err != nil {
		return MaterialView{}, err
	}
	return vs[0], nil
}

func (c *Core) materialViews(ctx context.Context, a *Actor, ms []model.Material) ([]MaterialView, error) {
	var owners []model.CPTSID
	var fileIDs []model.FileID
	for _, m := range ms {
		owners = append(owners, m.CPTSID)
		if m.FileID != "" {
			fileIDs = append(fileIDs, m.FileID)
		}
	}
	slices.Sort(owners)
	cs, err := c.st.CPTS.ByIDs(ctx, slices.Compact(owners))
	if err != nil {
		return nil, fmt.Errorf("core: material owners: %w", err)
	}
	names := make(map[model.CPTSID]string, len(cs))
	for _, x := range cs {
		names[x.ID] = x.Name
	}
	files, err := c.filesOf(ctx, fileIDs)
	if err != nil {
		return nil, err
	}
	today := c.today()
	out := make([]MaterialView, 0, len(ms))
	for _, m := range ms {
		_, member := a.activeRole(m.CPTSID)
		v := MaterialView{Material: m, CPTSName: names[m.CPTSID], Shared: !member, ThemeLabel: m.Theme.Label(),
			Current: m.ValidOn(today), CanEdit: a.CanEditMaterial(m)}
		if m.Campaign != "" {
			v.CampaignLabel = m.Campaign.Label()
		}
		if f, ok := files[m.FileID]; ok {
			v.File = &f
		}
		out = append(out, v)
	}
	return out, nil
}

// ListMaterials returns a page of the materials the caller sees (of one
// CPTS and what is shared with it, when CPTSID is set: owned by it only).
func (c *Core) ListMaterials(ctx context.Context, s model.Session, f MaterialFilter) (MaterialPage, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MaterialPage{}, err
	}
	q := store.MaterialQuery{Theme: f.Theme, Campaign: f.Campaign, Audience: f.Audience, After: f.After, Limit: f.Limit}
	q.Viewer, _ = a.LibraryViewer()
	if f.CPTSID != "" {
		if !model.ValidID(string(f.CPTSID)) {
			return MaterialPage{}, model.Invalid("cpts_id", "invalid_cpts", "CPTS inconnue.")
		}
		q.Owners = []model.CPTSID{f.CPTSID}
	}
	switch {
	case f.Theme != "" && !f.Theme.Valid():
		return MaterialPage{}, model.Invalid("theme", "invalid_theme", "Thème inconnu.")
	case f.Campaign != "" && !f.Campaign.Valid():
		return MaterialPage{}, model.Invalid("campaign", "invalid_campaign", "Campagne inconnue.")
	case f.Audience != "" && !f.Audience.Valid():
		return MaterialPage{}, model.Invalid("audience", "invalid_audience", "Public inconnu : patients ou professionnels.")
	case f.Limit < 0 || f.Limit > 200:
		return MaterialPage{}, model.Invalid("limit", "invalid_limit", "La taille de page va de 1 à 200.")
	}
	if f.Current {
		q.ValidOn = c.today()
	}
	page, err := c.st.Materials.List(ctx, q)
	if err != nil {
		var inv *model.InvalidError
		if errors.As(err, &inv) {
			return MaterialPage{}, err
		}
		return MaterialPage{}, fmt.Errorf("core: list materials: %w", err)
	}
	seen := make([]model.Material, 0, len(page.Items))
	for _, m := range page.Items {
		if a.CanSeeMaterial(m) {
			seen = append(seen, m)
		}
	}
	views, err := c.materialViews(ctx, a, seen)
	if err != nil {
		return MaterialPage{}, err
	}
	return MaterialPage{Items: views, Total: page.Total, Next: page.Next}, nil
}

// GetMaterial returns one material the caller sees.
func (c *Core) GetMaterial(ctx context.Context, s model.Session, id model.MaterialID) (MaterialView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MaterialView{}, err
	}
	m, err := c.st.Materials.ByID(ctx, id)
	if isNotFound(err) {
		return MaterialView{}, errMaterialNotFound
	}
	if err != nil {
		return MaterialView{}, fmt.Errorf("core: material %s: %w", id, err)
	}
	if !a.CanSeeMaterial(m) {
		return MaterialView{}, errMaterialNotFound
	}
	vs, err := c.materialViews(ctx, a, []model.Material{m})
	if err != nil {
		return MaterialView{}, err
	}
	return vs[0], nil
}

// MaterialPatch changes a material: nil fields stay. Its source (the
// file, or the link's kind) stays; a link's URL may change.
type MaterialPatch struct {
	Title       *string                 `json:"title,omitempty"`
	Description *string                 `json:"description,omitempty"`
	URL         *string                 `json:"url,omitempty"`
	Theme       *model.Theme            `json:"theme,omitempty"`
	Campaign    *model.Campaign         `json:"campaign,omitempty"`
	Audience    *model.MaterialAudience `json:"audience,omitempty"`
	Language    *string                 `json:"language,omitempty"`
	ValidFrom   *model.Date             `json:"valid_from,omitempty"`
	ValidTo     *model.Date             `json:"valid_to,omitempty"`
	Visibility  *model.Sharing          `json:"visibility,omitempty"`
	SharedWith  *[]model.CPTSID         `json:"shared_with,omitempty"`
}

// editableMaterial reads material id for an edit by a: not found for who
// does not see it, forbidden for who sees it but may not edit it.
func (c *Core) editableMaterial(ctx context.Context, a *Actor, id model.MaterialID) (model.Material, error) {
	if !model.ValidID(string(id)) {
		return model.Material{}, errMaterialNotFound
	}
	m, err := c.st.Materials.ByID(ctx, id)
	if isNotFound(err) || err == nil && (m.Deleted() || !a.CanSeeMaterial(m)) {
		return model.Material{}, errMaterialNotFound
	}
	if err != nil {
		return model.Material{}, fmt.Errorf("core: material %s: %w", id, err)
	}
	if !a.CanEditMaterial(m) {
		return model.Material{}, errForbidden
	}
	return m, nil
}

// UpdateMaterial changes a material (CanEditMaterial).
func (c *Core) UpdateMaterial(ctx context.Context, s model.Session, id model.MaterialID, in MaterialPatch) (MaterialView, error) {
	a, err := c.actor(ctx, s)
	if err != nil {
		return MaterialView{}, err
	}
	m, err := c.editableMaterial(ctx, a, id)
	if err != nil {
		return MaterialView{}, err
	}
	before := m
	if in.Title != nil {
		if m.Title, err = oneLine("title", "Le titre", *in.Title, true, maxMaterialTitle); err != nil {
			return MaterialView{}, err
		}
	}
	if in.Description != nil {
		if m.Description, err = text("description", "La description", *in.Description, false, maxMaterialDesc); err != nil {
			return MaterialView{}, err
		}
	}
	if in.URL != nil {
		if m.Kind != model.MaterialLink {
			return MaterialView{}, model.Invalid("url", "material_source_conflict", "Un support est soit un fichier, soit un lien : pas les deux.")
		}
		if m.URL, err = checkLink(*in.URL); err != nil {
			return MaterialView{}, err
		}
	}
	if in.Theme != nil {
		if m.Theme = *in.Theme; !m.Theme.Valid() {
			return MaterialView{}, model.Invalid("theme", "invalid_theme", "Choisissez un thème.")
		}
	}
	if in.Campaign != nil {
		if m.Campaign = *in.Campaign; m.Campaign != "" && !m.Campaign.Valid() {
			return MaterialView{}, model.Invalid("campaign", "invalid_campaign", "Campagne inconnue.")
		}
	}
	if in.Audience != nil {
		if m.Audience = *in.Audience; !m.Audience.Valid() {
			return MaterialView{}, model.Invalid("audience", "invalid_audience", "Choisissez le public : patients ou professionnels.")
		}
	}
	if in.Language != nil {
		if m.Language = strings.TrimSpace(*in.Language); m.Language == "" {
			m.Language = "fr"
		}
		if !languageTag.MatchString(m.Language) {
			return MaterialView{}, model.Invalid("language", "invalid_language", "Langue non valide (par exemple fr, en, ar).")
		}
	}
	if in.ValidFrom != nil {
		if m.ValidFrom = *in.ValidFrom; m.ValidFrom != "" && !m.ValidFrom.Valid() {
			return MaterialView{}, model.Invalid("valid_from", "invalid_date", "Date de début non valide (AAAA-MM-JJ).")
		}
	}
	if in.ValidTo != nil {
		if m.ValidTo = *in.ValidTo; m.ValidTo != "" && !m.ValidTo.Valid() {
			return MaterialView{}, model.Invalid("valid_to", "invalid_date", "Date de fin non valide (AAAA-MM-JJ).")
		}
	}
	if m.ValidFrom != "" && m.ValidTo != "" && m.ValidTo.Before(m.ValidFrom) {
		return MaterialView{}, model.Invalid("valid_to", "validity_order", "La fin de validité précède son début.")
	}
	if in.Visibility != nil || in.SharedWith != nil {
		vis, shared := m.Visibility, m.SharedWith
		if in.Visibility != nil {
			vis = *in.Visibility
		}
		if in.SharedWith != nil {
			shared = *in.SharedWith
		}
		if m.Visibility, m.SharedWith, err = c.checkSharing(ctx, m.CPTSID, vis, shared); err != nil {
			return MaterialView{}, err
		}
	}
	m.UpdatedAt = c.now().UTC()
	stored, err := c.st.Materials.Update(ctx, m)
	if isNotFound(err) {
		return MaterialView{}, errMaterialNotFound
	}
	if err != nil {
		return MaterialView{}, fmt.Errorf("core: update material: %w", err)
	}
	c.touch(ctx, store.OutboxMaterial, string(stored.ID))
	c.publishMaterial(ctx, before, stored)
	vs, err := c.materialViews(ctx, a, []model.Material{stored})
	if err != nil {
		return MaterialView{}, err
	}
	return vs[0], nil
}

// DeleteMaterial deletes a material (CanEditMaterial); its file is
// detached and removed.
func (c *Core) DeleteMaterial(ctx context.Context, s model.Session, id model.MaterialID) error {
	a, err := c.actor(ctx, s)
	if err != nil {
		return err
	}
	m, err := c.editableMaterial(ctx, a, id)
	if err != nil {
		return err
	}
	if err := c.st.Materials.Delete(ctx, m.ID, c.now().UTC()); err != nil {
		if isNotFound(err) {
			return errMaterialNotFound
		}
		return fmt.Errorf("core: delete material: %w", err)
	}
	c.touch(ctx, store.OutboxMaterial, string(m.ID))
	gone := m
	gone.DeletedAt = new(c.now().UTC())
	c.publishMaterial(ctx, m, gone)
	if m.Kind == model.MaterialFile && m.FileID != "" {
		c.DetachFiles(ctx, []model.FileID{m.FileID})
	}
	return nil
}
