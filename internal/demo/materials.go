package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

// LoadMaterials adds the demo prevention materials through core: links to
// fictional pages (example.org) and two files made here (a PNG poster and
// a one-page PDF leaflet, no copyrighted content), across themes,
// campaigns and audiences, one shared with Val de Cher, one platform-wide.
// Without a blob store (files not configured), the files are left out.
func LoadMaterials(ctx context.Context, st *store.Store, c *core.Core) error {
	users := map[string]model.Session{}
	for _, email := range []string{coordLN, ideLN, pharmaLN, coordVC} {
		u, err := st.Users.ByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("demo materials: %w", err)
		}
		users[email] = model.Session{UserID: u.ID}
	}
	cs, err := st.CPTS.List(ctx)
	if err != nil {
		return fmt.Errorf("demo materials: %w", err)
	}
	var ln, vc model.CPTSID
	for _, x := range cs {
		switch x.Name {
		case "CPTS Loire Nord":
			ln = x.ID
		case "CPTS Val de Cher":
			vc = x.ID
		}
	}
	year := time.Now().Year()
	in := []struct {
		who string
		m   core.MaterialInput
	}{
		{coordLN, core.MaterialInput{CPTSID: ln, Title: "Arrêter de fumer : les aides près de chez vous",
			Description: "Page d'orientation vers les consultations de tabacologie du territoire (page fictive de démonstration).",
			URL:         "https://prevention.example.org/tabac/aides", Theme: model.ThemeTabac, Campaign: model.CampaignMoisSansTabac,
			Audience: model.AudiencePatients, ValidFrom: model.DateFor(year, time.October, 15), ValidTo: model.DateFor(year, time.December, 15),
			Visibility: model.SharingListed, SharedWith: []model.CPTSID{vc}}},
		{pharmaLN, core.MaterialInput{CPTSID: ln, Title: "Vidéo : bien utiliser son inhalateur",
			Description: "Vidéo de démonstration à montrer au comptoir (lien fictif).", URL: "https://video.example.org/inhalateur",
			Theme: model.ThemeMaladiesChroniques, Audience: model.AudiencePatients}},
		{ideLN, core.MaterialInput{CPTSID: ln, Title: "Dépistage du cancer du sein : qui, quand, comment",
			Description: "Fiche pour les professionnels : rappel du dépistage organisé (document fictif).",
			URL:         "https://prevention.example.org/depistage/sein", Theme: model.ThemeDepistageCancers, Campaign: model.CampaignOctobreRose,
			Audience: model.AudienceProfessionnels, ValidFrom: model.DateFor(year, time.September, 15), ValidTo: model.DateFor(year, time.November, 15)}},
		{coordLN, core.MaterialInput{CPTSID: ln, Title: "Dépistage du cancer colorectal : le test à domicile",
			URL: "https://prevention.example.org/depistage/colorectal", Theme: model.ThemeDepistageCancers, Campaign: model.CampaignMarsBleu,
			Audience: model.AudiencePatients, Visibility: model.SharingPlatform}},
		{ideLN, core.MaterialInput{CPTSID: ln, Title: "Vaccination : le calendrier en une page (anglais)",
			Description: "Version en anglais pour les patients non francophones (lien fictif).",
			URL:         "https://prevention.example.org/vaccination/calendar-en", Theme: model.ThemeVaccination,
			Campaign: model.CampaignSemaineVaccination, Audience: model.AudiencePatients, Language: "en"}},
		{coordLN, core.MaterialInput{CPTSID: ln, Title: "Ateliers équilibre : programme de la CPTS",
			URL: "https://prevention.example.org/chutes/ateliers", Theme: model.ThemeChutes, Audience: model.AudiencePatients}},
		{coordVC, core.MaterialInput{CPTSID: vc, Title: "Journée mondiale du diabète : dépistage en officine",
			URL: "https://prevention.example.org/diabete/officine", Theme: model.ThemeMaladiesChroniques,
			Campaign: model.CampaignJourneeDiabete, Audience: model.AudienceProfessionnels}},
	}
	for _, x := range in {
		if _, err := c.CreateMaterial(ctx, users[x.who], x.m); err != nil {
			return fmt.Errorf("demo materials: %s: %w", x.m.Title, err)
		}
	}
	// Two files made here.
	files := []struct {
		name string
		data []byte
		m    core.MaterialInput
	}{
		{"affiche-mois-sans-tabac.png", poster(), core.MaterialInput{CPTSID: ln, Title: "Affiche : en novembre, on arrête ensemble",
			Description: "Affiche de démonstration pour la salle d'attente.", Theme: model.ThemeTabac,
			Campaign: model.CampaignMoisSansTabac, Audience: model.AudiencePatients}},
		{"depliant-grippe.pdf", leaflet("Vaccination contre la grippe", "Document de demonstration de la CPTS Loire Nord.",
			"Qui est concerne ? Les personnes de 65 ans et plus, les personnes atteintes", "de certaines maladies chroniques, les femmes enceintes.",
			"Ou se faire vacciner ? Chez son medecin, son infirmier ou son pharmacien."),
			core.MaterialInput{CPTSID: ln, Title: "Dépliant : se faire vacciner contre la grippe",
				Theme: model.ThemeVaccination, Campaign: model.CampaignGrippe, Audience: model.AudiencePatients}},
	}
	for _, f := range files {
		v, err := c.Upload(ctx, users[coordLN], core.FileWhere{CPTS: ln}, f.name, bytes.NewReader(f.data))
		var coded *model.CodedError
		if errors.As(err, &coded) && coded.Code == "files_not_configured" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("demo materials: upload %s: %w", f.name, err)
		}
		f.m.FileID = v.ID
		if _, err := c.CreateMaterial(ctx, users[coordLN], f.m); err != nil {
			return fmt.Errorf("demo materials: %s: %w", f.m.Title, err)
		}
	}
	return nil
}

// poster draws a simple 600×800 poster: coloured bands, no text.
func poster() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 600, 800))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0xf5, 0xf7, 0xfa, 0xff}}, image.Point{}, draw.Src)
	for i, c := range []color.RGBA{{0x1f, 0x6f, 0x8b, 0xff}, {0x9f, 0xe3, 0xd4, 0xff}, {0xe0, 0x6c, 0x4f, 0xff}} {
		draw.Draw(img, image.Rect(40, 80+i*220, 560, 260+i*220), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// leaflet writes a one-page PDF with a title and a few lines (ASCII, in
// Helvetica).
func leaflet(title string, lines ...string) []byte {
	esc := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	var content strings.Builder
	content.WriteString("BT /F1 20 Tf 60 770 Td (" + esc.Replace(title) + ") Tj ET\n")
	for i, l := range lines {
		fmt.Fprintf(&content, "BT /F1 12 Tf 60 %d Td (%s) Tj ET\n", 730-i*20, esc.Replace(l))
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
