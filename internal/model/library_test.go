package model

import (
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	for s, ok := range map[string]bool{
		"2026-09-01": true, "2024-02-29": true, "2026-02-29": false, "2026-9-1": false,
		"": false, "2026-09-01T00:00:00Z": false, "01/09/2026": false,
	} {
		if got := Date(s).Valid(); got != ok {
			t.Errorf("Date(%q).Valid() = %v, want %v", s, got, ok)
		}
	}
	d := DateFor(2026, time.December, 31)
	if d != "2026-12-31" || d.AddDays(1) != "2027-01-01" || d.AddDays(-365) != "2025-12-31" {
		t.Errorf("DateFor/AddDays: %s %s %s", d, d.AddDays(1), d.AddDays(-365))
	}
	if !Date("2026-01-31").Before("2026-02-01") || Date("2026-02-01").Before("2026-02-01") {
		t.Error("Before")
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC on 31 March is already 1 April in Paris.
	at := time.Date(2026, time.March, 31, 23, 30, 0, 0, time.UTC)
	if got := DateOf(at.In(paris)); got != "2026-04-01" {
		t.Errorf("DateOf in Paris = %s", got)
	}
	if DateFor(2026, time.April, 31) != "2026-05-01" {
		t.Error("DateFor normalises")
	}
	if Date("").Time() != (time.Time{}) {
		t.Error("empty date's time")
	}
}

func TestPostID(t *testing.T) {
	c := CPTSID(NewID())
	id := PostIDOf(CPTSFeed(c), 42)
	scope, seq, ok := id.Parse()
	if !ok || scope != string(c) || seq != 42 || !id.Valid() {
		t.Fatalf("Parse(%s) = %s %d %v", id, scope, seq, ok)
	}
	for _, bad := range []PostID{"", PostID(c), PostID(string(c) + "-0000000000"), PostID(string(c) + "-42"),
		PostID("zz" + string(c)[2:] + "-0000000001"), PostID(string(c) + "-00000000x1")} {
		if bad.Valid() {
			t.Errorf("%q valid", bad)
		}
	}
	g := GroupID(NewID())
	if GroupFeed(g).Key() != "group:"+string(g) || CPTSFeed(c).Key() != "cpts:"+string(c) {
		t.Error("Key")
	}
	for s, ok := range map[FeedScope]bool{
		CPTSFeed(c): true, GroupFeed(g): true, {}: false, {CPTSID: c, GroupID: g}: false, CPTSFeed("x"): false,
	} {
		if s.Valid() != ok {
			t.Errorf("%+v.Valid() = %v", s, !ok)
		}
	}
}

func TestEnumsValid(t *testing.T) {
	checks := []struct {
		name  string
		valid func(string) bool
		good  []string
	}{
		{"PostKind", func(s string) bool { return PostKind(s).Valid() }, []string{"announcement", "event"}},
		{"RSVPAnswer", func(s string) bool { return RSVPAnswer(s).Valid() }, []string{"oui", "non", "peut_etre"}},
		{"ProtocolStatus", func(s string) bool { return ProtocolStatus(s).Valid() }, []string{"brouillon", "relecture", "valide", "archive"}},
		{"Sharing", func(s string) bool { return Sharing(s).Valid() }, []string{"cpts", "listed", "platform"}},
		{"ReviewDecision", func(s string) bool { return ReviewDecision(s).Valid() }, []string{"approve", "changes_requested"}},
		{"MaterialKind", func(s string) bool { return MaterialKind(s).Valid() }, []string{"file", "link"}},
		{"MaterialAudience", func(s string) bool { return MaterialAudience(s).Valid() }, []string{"patients", "professionnels"}},
		{"AttachmentKind", func(s string) bool { return AttachmentKind(s).Valid() }, []string{"message", "post", "protocol_version", "material"}},
		{"ScanStatus", func(s string) bool { return ScanStatus(s).Valid() }, []string{"pending", "clean", "infected", "not_scanned"}},
		{"Theme", func(s string) bool { return Theme(s).Valid() }, []string{"tabac", "alcool", "vaccination", "depistage_cancers", "nutrition", "activite_physique", "chutes", "sante_mentale"}},
		{"Campaign", func(s string) bool { return Campaign(s).Valid() }, []string{"mois_sans_tabac", "octobre_rose", "mars_bleu", "semaine_vaccination", "journee_diabete"}},
		{"Mission", func(s string) bool { return Mission(s).Valid() }, []string{"acces_aux_soins", "prevention"}},
		{"Profession", func(s string) bool { return Profession(s).Valid() }, []string{"pharmacien", "medecin_generaliste"}},
		{"ProtocolEventKind", func(s string) bool { return ProtocolEventKind(s).Valid() }, []string{"created", "validated"}},
	}
	for _, c := range checks {
		for _, g := range c.good {
			if !c.valid(g) {
				t.Errorf("%s(%q) invalid", c.name, g)
			}
		}
		for _, b := range []string{"", "Oui", "validé", "x"} {
			if c.valid(b) {
				t.Errorf("%s(%q) valid", c.name, b)
			}
		}
	}
	if ProtocolInReview.Label() != "En relecture" || RSVPMaybe.Label() != "Peut-être" || ThemeChutes.Label() != "Prévention des chutes" {
		t.Error("labels")
	}
}

func TestCampaignDates(t *testing.T) {
	occ := func(c Campaign, y int) (Date, Date) {
		info, ok := LookupCampaign(c)
		if !ok {
			t.Fatalf("%s not in the catalogue", c)
		}
		o := info.Occurrence(y)
		return o.Start, o.End
	}
	cases := []struct {
		c          Campaign
		year       int
		start, end Date
	}{
		{CampaignMoisSansTabac, 2026, "2026-11-01", "2026-11-30"},
		{CampaignOctobreRose, 2026, "2026-10-01", "2026-10-31"},
		{CampaignMarsBleu, 2026, "2026-03-01", "2026-03-31"},
		{CampaignJourneeDiabete, 2026, "2026-11-14", "2026-11-14"},
		{CampaignJourneeSansTabac, 2027, "2027-05-31", "2027-05-31"},
		// 30 April 2026 is a Thursday: the last full week is 20–26 April.
		{CampaignSemaineVaccination, 2026, "2026-04-20", "2026-04-26"},
		// 30 April 2028 is a Sunday: 24–30 April.
		{CampaignSemaineVaccination, 2028, "2028-04-24", "2028-04-30"},
		// 2024: 22–28 April (the 30th is a Tuesday).
		{CampaignSemaineVaccination, 2024, "2024-04-22", "2024-04-28"},
		// SISM editions: 2021 4–17 Oct, 2023 9–22 Oct, 2024 7–20 Oct.
		{CampaignSISM, 2021, "2021-10-04", "2021-10-17"},
		{CampaignSISM, 2023, "2023-10-09", "2023-10-22"},
		{CampaignSISM, 2024, "2024-10-07", "2024-10-20"},
		{CampaignGrippe, 2026, "2026-10-15", "2027-01-31"},
	}
	for _, c := range cases {
		s, e := occ(c.c, c.year)
		if s != c.start || e != c.end {
			t.Errorf("%s %d: %s–%s, want %s–%s", c.c, c.year, s, e, c.start, c.end)
		}
	}
	for _, c := range Campaigns {
		if !c.Theme.Valid() || c.Label == "" || c.When == "" {
			t.Errorf("catalogue entry %s incomplete", c.Code)
		}
		for y := 2020; y <= 2040; y++ {
			o := c.Occurrence(y)
			if !o.Start.Valid() || !o.End.Valid() || o.End.Before(o.Start) || o.Start.Time().Year() != y {
				t.Errorf("%s %d: %s–%s", c.Code, y, o.Start, o.End)
			}
		}
	}
}

func TestCampaignsAt(t *testing.T) {
	codes := func(os []CampaignOccurrence) []string {
		var out []string
		for _, o := range os {
			s := string(o.Campaign)
			if o.Current {
				s += "*"
			}
			out = append(out, s)
		}
		return out
	}
	same := func(got, want []string) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}
	// 10 November 2026: Mois sans tabac and the flu campaign under way
	// (ending 30 Nov and 31 Jan), the diabetes day on the 14th, then
	// World AIDS Day on 1 December within 30 days.
	got := codes(CampaignsAt("2026-11-10", 30))
	want := []string{"mois_sans_tabac*", "vaccination_grippe*", "journee_diabete", "journee_sida"}
	if !same(got, want) {
		t.Errorf("10 Nov 2026: %v, want %v", got, want)
	}
	// 20 January 2027: the flu season that started in 2026 and Dry
	// January, both ending on 31 January (then ordered by label); March
	// (Mars bleu) beyond a 30-day horizon.
	got = codes(CampaignsAt("2027-01-20", 30))
	want = []string{"vaccination_grippe*", "dry_january*"}
	if !same(got, want) {
		t.Errorf("20 Jan 2027: %v, want %v", got, want)
	}
	// A one-day campaign is current on its day only.
	got = codes(CampaignsAt("2026-05-31", 0))
	want = []string{"journee_sans_tabac*"}
	if !same(got, want) {
		t.Errorf("31 May 2026: %v, want %v", got, want)
	}
	if CampaignsAt("n'importe quand", 30) != nil {
		t.Error("invalid date")
	}
}
