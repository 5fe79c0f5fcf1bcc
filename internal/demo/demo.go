// Package demo loads the fictional French demo data of PRODUCT.md §5 into
// an empty database (ECPTS_DEMO=1). Every person, number and e-mail here is
// invented; the communes are real places, as a territory needs some.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// Password of every demo account.
const Password = "demo-ecpts"

// Load fills an empty database with the demo accounts, CPTS, groups and
// channels, and reports whether it did. It does nothing (and says so) when
// any account already exists, so restarts keep what users changed.
func Load(ctx context.Context, st *store.Store, log *slog.Logger, now time.Time, params auth.Params) (bool, error) {
	n, err := st.Users.Count(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: count users: %w", err)
	}
	if n > 0 {
		log.Info("demo data skipped: the database already has accounts")
		return false, nil
	}
	hash, err := auth.HashPassword(Password, params)
	if err != nil {
		return false, fmt.Errorf("demo: hash: %w", err)
	}
	d := &loader{ctx: ctx, st: st, now: now.UTC().Truncate(time.Millisecond), hash: hash, users: map[string]model.UserID{}}
	d.run()
	if d.err != nil {
		return false, d.err
	}
	log.Info("demo data loaded", "users", len(d.users))
	return true, nil
}

type loader struct {
	ctx   context.Context
	st    *store.Store
	now   time.Time
	hash  string
	users map[string]model.UserID
	err   error
	n     int
}

// rpps builds a valid fictional RPPS number (Luhn check digit).
func (d *loader) rpps() string {
	d.n++
	return model.RPPSWithCheckDigit(fmt.Sprintf("10099%05d", d.n))
}

func (d *loader) user(email, name string, p model.Profession, commune string, admin bool, form model.TitleForm) model.UserID {
	if d.err != nil {
		return ""
	}
	u := model.User{
		ID: model.UserID(model.NewID()), Email: email, Name: name, Profession: p, Commune: commune,
		Admin: admin, TitleForm: form, PasswordHash: d.hash, CreatedAt: d.now, UpdatedAt: d.now,
	}
	if info, _ := model.LookupProfession(p); info.Health {
		u.RPPS = d.rpps()
	}
	d.check(d.st.Users.Insert(d.ctx, u))
	d.users[email] = u.ID
	return u.ID
}

func (d *loader) check(err error) {
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("demo: %w", err)
	}
}

func (d *loader) cpts(name, dep string, communes []string) model.CPTSID {
	c := model.CPTS{
		ID: model.CPTSID(model.NewID()), Name: name, Department: dep, Communes: communes, Status: "active",
		Missions:  []model.Mission{model.MissionAcces, model.MissionParcours, model.MissionPrevention, model.MissionQualite},
		CreatedAt: d.now,
	}
	d.check(d.st.CPTS.Insert(d.ctx, c))
	return c.ID
}

func (d *loader) member(c model.CPTSID, u model.UserID, r model.Role) {
	v := d.now
	d.check(d.st.Memberships.Insert(d.ctx, model.Membership{CPTSID: c, UserID: u, Role: r, Status: model.StatusActive, CreatedAt: d.now, ValidatedAt: &v}))
}

func (d *loader) channel(name, topic string, c model.CPTSID, g model.GroupID, vis model.Visibility, kind model.ChannelKind, by model.UserID, members ...model.UserID) model.ChannelID {
	ch := model.Channel{ID: model.ChannelID(model.NewID()), Name: name, Topic: topic, Kind: kind, Visibility: vis, CPTSID: c, GroupID: g, CreatedBy: by, CreatedAt: d.now}
	d.check(d.st.Channels.Insert(d.ctx, ch))
	for _, u := range members {
		err := d.st.ChannelMembers.Insert(d.ctx, model.ChannelMember{ChannelID: ch.ID, UserID: u, JoinedAt: d.now})
		if !errors.Is(err, model.ErrConflict) {
			d.check(err)
		}
	}
	return ch.ID
}

func (d *loader) group(name, desc string, owner model.CPTSID, cpts []model.CPTSID, by model.UserID, members map[model.UserID]model.Role) model.GroupID {
	g := model.Group{ID: model.GroupID(model.NewID()), Name: name, Description: desc, OwnerCPTS: owner, CPTSIDs: cpts, CreatedBy: by, CreatedAt: d.now}
	d.check(d.st.Groups.Insert(d.ctx, g))
	for u, r := range members {
		d.check(d.st.GroupMembers.Insert(d.ctx, model.GroupMember{GroupID: g.ID, UserID: u, Role: r, AddedBy: by, CreatedAt: d.now}))
	}
	return g.ID
}

func (d *loader) run() {
	ln := d.cpts("CPTS Loire Nord", "42", []string{"Roanne", "Riorges", "Mably", "Le Coteau", "Villerest"})
	vc := d.cpts("CPTS Val de Cher", "41", []string{"Romorantin-Lanthenay", "Selles-sur-Cher", "Saint-Aignan", "Montrichard Val de Cher"})

	coord := d.user("coordination@loire-nord.demo", "Claire Morel", "medecin_generaliste", "Roanne", false, model.TitleFeminine)
	ide := d.user("infirmiere@loire-nord.demo", "Sophie Garnier", "infirmier", "Riorges", false, model.TitleFeminine)
	kine := d.user("kine@loire-nord.demo", "Marc Lefèvre", "masseur_kinesitherapeute", "Mably", false, model.TitleMasculine)
	pharma := d.user("pharmacien@val-de-cher.demo", "Julien Perrin", "pharmacien", "Romorantin-Lanthenay", false, model.TitleMasculine)
	d.user("admin@ecpts.demo", "Administration e-CPTS", "coordination", "", true, "")
	sf := d.user("sage-femme@loire-nord.demo", "Aurélie Fontaine", "sage_femme", "Le Coteau", false, model.TitleFeminine)
	ortho := d.user("orthophoniste@loire-nord.demo", "Hugo Lambert", "orthophoniste", "Villerest", false, model.TitleMasculine)
	pharmaLN := d.user("pharmacie@loire-nord.demo", "Inès Caron", "pharmacien", "Roanne", false, model.TitleFeminine)
	social := d.user("assistante-sociale@loire-nord.demo", "Nathalie Roux", "travailleur_social", "Roanne", false, model.TitleFeminine)
	coordVC := d.user("coordination@val-de-cher.demo", "Karim Benali", "infirmier", "Selles-sur-Cher", false, model.TitleMasculine)
	mgVC := d.user("medecin@val-de-cher.demo", "Élise Marchand", "medecin_generaliste", "Saint-Aignan", false, model.TitleFeminine)
	if d.err != nil {
		return
	}

	d.member(ln, coord, model.RoleCoordinateur)
	d.member(ln, ide, model.RoleMembre)
	d.member(ln, kine, model.RoleMembre)
	d.member(ln, sf, model.RoleMembre)
	d.member(ln, ortho, model.RoleMembre)
	d.member(ln, pharmaLN, model.RoleMembre)
	d.member(ln, social, model.RolePartenaire)
	d.member(vc, coordVC, model.RoleCoordinateur)
	d.member(vc, pharma, model.RoleMembre)
	d.member(vc, mgVC, model.RoleMembre)

	allLN := []model.UserID{coord, ide, kine, sf, ortho, pharmaLN}
	d.channel("général", "Échanges entre tous les membres de la CPTS", ln, "", model.VisibilityPublic, model.KindStandard, coord, allLN...)
	d.channel("soins-non-programmés", "Demandes de créneaux SNP du jour et du lendemain", ln, "", model.VisibilityPublic, model.KindStandard, coord, coord, ide, pharmaLN)
	d.channel("annonces", "Annonces de la coordination", ln, "", model.VisibilityPublic, model.KindAnnouncement, coord, allLN...)
	d.channel("bureau", "Bureau de l'association", ln, "", model.VisibilityPrivate, model.KindStandard, coord, coord, sf)
	d.channel("sortie-hospitalisation", "Retours à domicile après hospitalisation", ln, "", model.VisibilityPrivate, model.KindStandard, coord, coord, ide, social)

	d.channel("général", "Échanges entre tous les membres de la CPTS", vc, "", model.VisibilityPublic, model.KindStandard, coordVC, coordVC, pharma, mgVC)
	d.channel("officines", "Entre pharmacies du territoire", vc, "", model.VisibilityPublic, model.KindStandard, coordVC, coordVC, pharma)

	bpco := d.group("Parcours BPCO inter-CPTS", "Parcours des patients atteints de BPCO entre Loire Nord et Val de Cher",
		ln, []model.CPTSID{ln, vc}, coord, map[model.UserID]model.Role{coord: model.RoleCoordinateur, kine: model.RoleMembre, pharma: model.RoleMembre})
	d.channel("parcours-bpco", "Réhabilitation respiratoire, inhalateurs, suivi", "", bpco, model.VisibilityPublic, model.KindStandard, coord, coord, kine, pharma)

	chutes := d.group("Prévention chutes", "Prévention des chutes des personnes âgées à domicile",
		ln, []model.CPTSID{ln}, coord, map[model.UserID]model.Role{coord: model.RoleCoordinateur, ide: model.RoleMembre, kine: model.RoleMembre})
	d.channel("prévention-chutes", "Ateliers équilibre et repérage", "", chutes, model.VisibilityPublic, model.KindStandard, coord, coord, ide, kine)
}
