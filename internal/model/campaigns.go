package model

import (
	"sort"
	"time"
)

// Campaign is a recurring French public-health campaign a prevention
// material may serve.
type Campaign string

const (
	CampaignMoisSansTabac      Campaign = "mois_sans_tabac"
	CampaignOctobreRose        Campaign = "octobre_rose"
	CampaignMarsBleu           Campaign = "mars_bleu"
	CampaignSemaineVaccination Campaign = "semaine_vaccination"
	CampaignJourneeDiabete     Campaign = "journee_diabete"
	CampaignSISM               Campaign = "sism"
	CampaignJourneeSansTabac   Campaign = "journee_sans_tabac"
	CampaignDryJanuary         Campaign = "dry_january"
	CampaignJourneeSida        Campaign = "journee_sida"
	CampaignGrippe             Campaign = "vaccination_grippe"
	CampaignPreventionSuicide  Campaign = "journee_prevention_suicide"
	CampaignJourneeHTA         Campaign = "journee_hypertension"
)

// CampaignInfo describes a campaign: its French label, its usual theme,
// when it takes place (in French, for the UI) and how its dates are
// computed for a given year.
type CampaignInfo struct {
	Code  Campaign `json:"code"`
	Label string   `json:"label"`
	Theme Theme    `json:"theme"`
	When  string   `json:"when"`
	// dates returns the first and last day of the occurrence that starts
	// in year.
	dates func(year int) (Date, Date)
}

// Campaigns is the catalogue, in calendar order. Dates are the usual ones;
// a campaign whose dates the organiser moves (the flu vaccination
// campaign) uses its most frequent span.
var Campaigns = []CampaignInfo{
	{CampaignDryJanuary, "Dry January (Défi de janvier)", ThemeAlcool, "chaque année en janvier", wholeMonth(time.January)},
	{CampaignMarsBleu, "Mars bleu", ThemeDepistageCancers, "chaque année en mars", wholeMonth(time.March)},
	{CampaignSemaineVaccination, "Semaine européenne de la vaccination", ThemeVaccination,
		"la dernière semaine complète d'avril", lastFullWeekOfApril},
	{CampaignJourneeHTA, "Journée mondiale de l'hypertension artérielle", ThemeMaladiesChroniques, "le 17 mai", oneDay(time.May, 17)},
	{CampaignJourneeSansTabac, "Journée mondiale sans tabac", ThemeTabac, "le 31 mai", oneDay(time.May, 31)},
	{CampaignPreventionSuicide, "Journée mondiale de prévention du suicide", ThemeSanteMentale, "le 10 septembre", oneDay(time.September, 10)},
	{CampaignOctobreRose, "Octobre rose", ThemeDepistageCancers, "chaque année en octobre", wholeMonth(time.October)},
	{CampaignSISM, "Semaines d'information sur la santé mentale (SISM)", ThemeSanteMentale,
		"deux semaines en octobre, à partir du premier lundi après le 3 octobre", sism},
	{CampaignGrippe, "Campagne de vaccination contre la grippe saisonnière", ThemeVaccination,
		"de mi-octobre à fin janvier (dates fixées chaque année)", fluSeason},
	{CampaignMoisSansTabac, "Mois sans tabac", ThemeTabac, "chaque année en novembre", wholeMonth(time.November)},
	{CampaignJourneeDiabete, "Journée mondiale du diabète", ThemeMaladiesChroniques, "le 14 novembre", oneDay(time.November, 14)},
	{CampaignJourneeSida, "Journée mondiale de lutte contre le sida", ThemeSanteSexuelle, "le 1er décembre", oneDay(time.December, 1)},
}

func wholeMonth(m time.Month) func(int) (Date, Date) {
	return func(y int) (Date, Date) { return DateFor(y, m, 1), DateFor(y, m+1, 0) }
}

func oneDay(m time.Month, day int) func(int) (Date, Date) {
	return func(y int) (Date, Date) { d := DateFor(y, m, day); return d, d }
}

// lastFullWeekOfApril is the last Monday-to-Sunday week within April.
func lastFullWeekOfApril(y int) (Date, Date) {
	end := time.Date(y, time.April, 30, 0, 0, 0, 0, time.UTC)
	for end.Weekday() != time.Sunday {
		end = end.AddDate(0, 0, -1)
	}
	return DateOf(end.AddDate(0, 0, -6)), DateOf(end)
}

// sism: the two weeks from the first Monday on or after 4 October (the
// 2020 to 2025 editions all follow it).
func sism(y int) (Date, Date) {
	start := time.Date(y, time.October, 4, 0, 0, 0, 0, time.UTC)
	for start.Weekday() != time.Monday {
		start = start.AddDate(0, 0, 1)
	}
	return DateOf(start), DateOf(start.AddDate(0, 0, 13))
}

// fluSeason: 15 October to 31 January of the next year.
func fluSeason(y int) (Date, Date) {
	return DateFor(y, time.October, 15), DateFor(y+1, time.January, 31)
}

// LookupCampaign returns the catalogue entry of c.
func LookupCampaign(c Campaign) (CampaignInfo, bool) {
	for _, x := range Campaigns {
		if x.Code == c {
			return x, true
		}
	}
	return CampaignInfo{}, false
}

// Valid reports whether c is in the catalogue.
func (c Campaign) Valid() bool { _, ok := LookupCampaign(c); return ok }

// Label returns the French label of c, or c when unknown.
func (c Campaign) Label() string {
	if x, ok := LookupCampaign(c); ok {
		return x.Label
	}
	return string(c)
}

// CampaignOccurrence is one yearly occurrence of a campaign, both days
// included.
type CampaignOccurrence struct {
	Campaign Campaign `json:"campaign"`
	Label    string   `json:"label"`
	Theme    Theme    `json:"theme"`
	Start    Date     `json:"start"`
	End      Date     `json:"end"`
	// Current is set when the occurrence is under way at the date asked.
	Current bool `json:"current"`
}

// Occurrence returns the occurrence of the campaign that starts in year.
func (c CampaignInfo) Occurrence(year int) CampaignOccurrence {
	start, end := c.dates(year)
	return CampaignOccurrence{Campaign: c.Code, Label: c.Label, Theme: c.Theme, Start: start, End: end}
}

// CampaignsAt returns the campaigns under way on d (Current, those ending
// soonest first), then those starting within the next horizonDays days
// after d (soonest first): the "campagnes en cours et à venir" strip.
func CampaignsAt(d Date, horizonDays int) []CampaignOccurrence {
	if !d.Valid() {
		return nil
	}
	year := d.Time().Year()
	limit := d.AddDays(horizonDays)
	var current, upcoming []CampaignOccurrence
	for _, c := range Campaigns {
		for y := year - 1; y <= year+1; y++ {
			o := c.Occurrence(y)
			switch {
			case !d.Before(o.Start) && !o.End.Before(d):
				o.Current = true
				current = append(current, o)
			case d.Before(o.Start) && !limit.Before(o.Start):
				upcoming = append(upcoming, o)
			}
		}
	}
	sort.SliceStable(current, func(i, j int) bool {
		if current[i].End != current[j].End {
			return current[i].End < current[j].End
		}
		return current[i].Label < current[j].Label
	})
	sort.SliceStable(upcoming, func(i, j int) bool {
		if upcoming[i].Start != upcoming[j].Start {
			return upcoming[i].Start < upcoming[j].Start
		}
		return upcoming[i].Label < upcoming[j].Label
	})
	return append(current, upcoming...)
}
