package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// LoadPosts publishes the demo feed through core, as the coordinators
// would: announcements (one pinned) and an upcoming event with answers in
// Loire Nord, a visio event in the inter-CPTS BPCO group, a few comments.
// Call it once, after LoadMessages. Everything is fictional.
func LoadPosts(ctx context.Context, st *store.Store, c *core.Core, now time.Time) error {
	sess := func(email string) (model.Session, error) {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			return model.Session{}, fmt.Errorf("demo: %w", err)
		}
		return model.Session{UserID: u.ID}, nil
	}
	coord, err := sess("coordination@loire-nord.demo")
	if err != nil {
		return err
	}
	cs, err := c.ListCPTS(ctx, coord)
	if err != nil || len(cs) == 0 {
		return fmt.Errorf("demo: CPTS of the coordinator: %v", err)
	}
	ln := cs[0].ID
	gs, err := c.ListGroups(ctx, coord)
	if err != nil {
		return fmt.Errorf("demo: groups: %w", err)
	}
	var bpco model.GroupID
	for _, g := range gs {
		if g.Name == "Parcours BPCO inter-CPTS" {
			bpco = g.ID
		}
	}
	// At a round hour, Paris time, days from now.
	at := func(days, hour, minute int) string {
		d := now.In(core.Paris).AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, core.Paris).Format(time.RFC3339)
	}
	publish := func(in core.PostInput) (core.PostView, error) {
		p, err := c.PublishPost(ctx, coord, in)
		if err != nil {
			return p, fmt.Errorf("demo: publish %q: %w", in.Title, err)
		}
		return p, nil
	}
	welcome, err := publish(core.PostInput{CPTSID: ln, Kind: model.PostAnnouncement, Title: "Bienvenue dans le fil de la CPTS Loire Nord",
		Body: "Retrouvez ici les **annonces** de la coordination, les **réunions** et les **formations** du territoire.\n\n" +
			"Répondez aux invitations (oui, non, peut-être) pour que nous puissions organiser les salles et l'indemnisation des participants."})
	if err != nil {
		return err
	}
	if _, err := c.PinPost(ctx, coord, welcome.ID, true); err != nil {
		return fmt.Errorf("demo: pin: %w", err)
	}
	if _, err := publish(core.PostInput{CPTSID: ln, Kind: model.PostAnnouncement, Title: "Campagne de vaccination antigrippale",
		Body: "La campagne a commencé. Les officines et les cabinets infirmiers qui vaccinent peuvent se signaler dans #soins-non-programmés " +
			"pour que nous tenions la liste à jour."}); err != nil {
		return err
	}
	soiree, err := publish(core.PostInput{CPTSID: ln, Kind: model.PostEvent, Title: "Soirée pluriprofessionnelle : cystite simple et AVK",
		Body: "Présentation des deux protocoles en cours de relecture, puis échanges.\n\n- 19 h 30 accueil\n- 20 h présentations\n- 21 h 30 buffet",
		Event: &core.EventInput{StartsAt: at(10, 19, 30), EndsAt: at(10, 22, 0), Place: "Maison de santé pluriprofessionnelle, 12 rue de la Loire, Roanne",
			Capacity: 30, SignupDeadline: at(8, 18, 0)}})
	if err != nil {
		return err
	}
	for email, answer := range map[string]model.RSVPAnswer{
		"infirmiere@loire-nord.demo": model.RSVPYes, "kine@loire-nord.demo": model.RSVPYes, "pharmacie@loire-nord.demo": model.RSVPYes,
		"sage-femme@loire-nord.demo": model.RSVPMaybe, "orthophoniste@loire-nord.demo": model.RSVPNo,
	} {
		s, err := sess(email)
		if err != nil {
			return err
		}
		if _, err := c.RSVP(ctx, s, soiree.ID, answer); err != nil {
			return fmt.Errorf("demo: rsvp of %s: %w", email, err)
		}
	}
	kine, err := sess("kine@loire-nord.demo")
	if err != nil {
		return err
	}
	for _, cm := range []struct {
		who  model.Session
		body string
	}{
		{kine, "Merci ! Est-ce qu'on pourra parler aussi des anticoagulants oraux directs ?"},
		{coord, "Oui, nous garderons un quart d'heure à la fin pour les AOD."},
	} {
		if _, _, err := c.SendMessage(ctx, cm.who, core.SendInput{Channel: soiree.CommentsChannel, ClientID: uuid.NewString(), Body: cm.body}); err != nil {
			return fmt.Errorf("demo: comment: %w", err)
		}
	}
	if bpco != "" {
		ev, err := publish(core.PostInput{GroupID: bpco, Kind: model.PostEvent, Title: "Visio : réhabilitation respiratoire à domicile",
			Body:  "Point d'étape du parcours BPCO entre Loire Nord et Val de Cher : inhalateurs, activité physique adaptée.",
			Event: &core.EventInput{StartsAt: at(17, 12, 30), EndsAt: at(17, 13, 30), VisioURL: "https://visio.example.org/bpco-loire-cher"}})
		if err != nil {
			return err
		}
		ph, err := sess("pharmacien@val-de-cher.demo")
		if err != nil {
			return err
		}
		if _, err := c.RSVP(ctx, ph, ev.ID, model.RSVPYes); err != nil {
			return fmt.Errorf("demo: rsvp: %w", err)
		}
	}
	return nil
}
