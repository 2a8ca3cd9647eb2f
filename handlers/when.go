package handlers

import (
	"fmt"
	"time"

	"gatehouse/views/components"
)

// when is a moment as the views show it: the absolute time in UTC, and how
// far it is from now. The zero time is "never".
func when(t, now time.Time, layout string) components.When {
	if t.IsZero() {
		return components.When{}
	}
	return components.When{ISO: t.UTC().Format(time.RFC3339), Abs: t.UTC().Format(layout), Rel: relative(t, now)}
}

// relative says how long ago (or how far ahead) t is, in the largest unit
// that fits: "just now", "5 minutes ago", "in 3 days", "2 months ago".
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var n int
	var unit string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < 24*time.Hour:
		n, unit = int(d/time.Hour), "hour"
	case d < 14*24*time.Hour:
		n, unit = int(d/(24*time.Hour)), "day"
	case d < 60*24*time.Hour:
		n, unit = int(d/(7*24*time.Hour)), "week"
	case d < 365*24*time.Hour:
		n, unit = int(d/(30*24*time.Hour)), "month"
	default:
		n, unit = int(d/(365*24*time.Hour)), "year"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}

// daysLeft counts the days from today (UTC) to a token's last day: 0 on
// its last day, negative once it has expired.
func daysLeft(expiresAt, now time.Time) int {
	last := expiresAt.UTC().Add(-24 * time.Hour).Truncate(24 * time.Hour)
	today := now.UTC().Truncate(24 * time.Hour)
	return int(last.Sub(today) / (24 * time.Hour))
}

// expiryPhrase says when a token stops working, as people say it:
// "expires today", "expires tomorrow", "expires in 5 days", "expired".
func expiryPhrase(expiresAt, now time.Time) string {
	switch d := daysLeft(expiresAt, now); {
	case !now.Before(expiresAt):
		return "expired"
	case d == 0:
		return "expires today"
	case d == 1:
		return "expires tomorrow"
	default:
		return fmt.Sprintf("expires in %d days", d)
	}
}
