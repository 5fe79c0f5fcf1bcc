package demo

import (
	"context"
	"fmt"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/google/uuid"
)

// LoadMessages posts the demo conversations through core, as their authors
// would (rendering, mentions, threads, encryption of direct messages). Call
// it once, right after Load reported it filled the database.
func LoadMessages(ctx context.Context, st *store.Store, c *core.Core) error {
	sess := map[string]model.Session{}
	for _, email := range []string{
		"coordination@loire-nord.demo", "infirmiere@loire-nord.demo", "kine@loire-nord.demo",
		"pharmacie@loire-nord.demo", "pharmacien@val-de-cher.demo", "coordination@val-de-cher.demo",
	} {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		sess[email] = model.Session{UserID: u.ID}
	}
	chans := map[string]model.ChannelID{}
	for _, who := range []string{"coordination@loire-nord.demo", "coordination@val-de-cher.demo"} {
		cs, err := c.ListChannels(ctx, sess[who], false)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		for _, ch := range cs {
			key := ch.Name
			if ch.CPTSID != "" && who == "coordination@val-de-cher.demo" {
				key = "vc:" + ch.Name
			}
			if _, ok := chans[key]; !ok {
				chans[key] = ch.ID
			}
		}
	}
	post := func(who, channel string, thread model.MessageID, body string) (model.MessageID, error) {
		ch, ok := chans[channel]
		if !ok {
			return "", fmt.Errorf("demo: no channel %q", channel)
		}
		m, _, err := c.SendMessage(ctx, sess[who], core.SendInput{Channel: ch, ClientID: uuid.NewString(), Body: body, ThreadID: thread})
		if err != nil {
			return "", fmt.Errorf("demo: post in %s: %w", channel, err)
		}
		return m.ID, nil
	}
	type line struct{ who, channel, body string }
	steps := []struct {
		root    line
		replies []line
	}{
		{root: line{"coordination@loire-nord.demo", "général", "Bienvenue sur **e-CPTS** ! Ce canal réunit tous les membres de la CPTS Loire Nord. Pensez à compléter votre profil (profession, commune) pour l'annuaire."}},
		{root: line{"infirmiere@loire-nord.demo", "général", "Bonjour à toutes et à tous, infirmière libérale sur Riorges. N'hésitez pas à me solliciter pour les retours à domicile après hospitalisation."}},
		{root: line{"pharmacie@loire-nord.demo", "général", "Rappel : la campagne de vaccination antigrippale a commencé, les officines du territoire vaccinent **sans rendez-vous**."},
			replies: []line{
				{"coordination@loire-nord.demo", "général", "Merci Inès ! Je relaie dans le canal des annonces."},
				{"kine@loire-nord.demo", "général", "Je transmets à mes patients suivis pour une BPCO."},
			}},
		{root: line{"coordination@loire-nord.demo", "soins-non-programmés", "Créneaux de soins non programmés demain au cabinet de Roanne : **11 h** et **17 h**. Répondez dans le fil pour en réserver un."},
			replies: []line{{"infirmiere@loire-nord.demo", "soins-non-programmés", "Je prends 11 h pour une personne de ma tournée (plaie à revoir). Merci !"}}},
		{root: line{"coordination@loire-nord.demo", "annonces", "**Assemblée générale** de la CPTS le jeudi 10 décembre à 19 h, salle des fêtes de Mably. L'ordre du jour suivra."}},
		{root: line{"kine@loire-nord.demo", "parcours-bpco", "Bonjour, je propose un atelier de réhabilitation respiratoire en janvier. Des patients intéressés côté Val de Cher ?"},
			replies: []line{{"pharmacien@val-de-cher.demo", "parcours-bpco", "@marc oui, deux officines de Romorantin peuvent relayer l'affiche."}}},
		{root: line{"coordination@val-de-cher.demo", "vc:général", "Bienvenue aux nouveaux membres de la CPTS Val de Cher ! @pharmaciens, la réunion officines est reportée à mardi."}},
	}
	for _, s := range steps {
		root, err := post(s.root.who, s.root.channel, "", s.root.body)
		if err != nil {
			return err
		}
		for _, r := range s.replies {
			if _, err := post(r.who, r.channel, root, r.body); err != nil {
				return err
			}
		}
	}
	// A direct conversation across the two CPTS (they share the BPCO group).
	pharma, err := st.Users.ByEmail(ctx, "pharmacien@val-de-cher.demo")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	conv, _, err := c.OpenConversation(ctx, sess["kine@loire-nord.demo"], []model.UserID{pharma.ID})
	if err != nil {
		return fmt.Errorf("demo: conversation: %w", err)
	}
	chans["dm"] = conv.ID
	if _, err := post("kine@loire-nord.demo", "dm", "", "Bonjour Julien, merci pour le relais de l'atelier BPCO ! Je vous envoie le programme cette semaine."); err != nil {
		return err
	}
	_, err = post("pharmacien@val-de-cher.demo", "dm", "", "Avec plaisir, je l'affiche en officine dès réception.")
	return err
}
