package model

import "time"

// Date is a calendar day without time or zone, "2026-09-01": a protocol's
// review date, a material's validity bounds, a campaign's first and last
// day. The empty Date means "none". Dates compare as strings (their
// layout sorts chronologically), so the store filters them with $lt/$gte.
type Date string

// DateLayout is the layout of a Date for time.Parse and time.Format.
const DateLayout = "2006-01-02"

// DateOf returns the calendar day of t in t's location: pass
// t.In(parisLocation) for "today in France".
func DateOf(t time.Time) Date { return Date(t.Format(DateLayout)) }

// DateFor returns the Date of year, month, day (normalised as time.Date
// does: 31 April is 1 May).
func DateFor(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// ParseDate parses "YYYY-MM-DD"; ok is false for anything else,
// impossible days included ("2026-02-30").
func ParseDate(s string) (d Date, ok bool) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return "", false
	}
	return DateOf(t), true
}

// Valid reports whether d is a real day in the "YYYY-MM-DD" layout.
func (d Date) Valid() bool {
	_, ok := ParseDate(string(d))
	return ok
}

// Time returns midnight UTC of d; the zero time for an invalid or empty d.
func (d Date) Time() time.Time {
	t, err := time.Parse(DateLayout, string(d))
	if err != nil {
		return time.Time{}
	}
	return t
}

// AddDays returns d shifted by n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is an earlier day than e (both valid).
func (d Date) Before(e Date) bool { return d < e }

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }
