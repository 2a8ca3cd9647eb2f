// Package home holds the home page: what needs the viewer, their catalog
// pages, and shortcuts to the sections they use.
package home

import "gatehouse/views/components"

// Card is a shortcut on the home page.
type Card struct {
	Title string
	Body  string
	Href  string
	Icon  string
}

// Page is the home page.
type Page struct {
	Email   string
	IsAdmin bool
	// Tokens counts the viewer's own tokens; Attention lists those that
	// need them (expiring, expired, revoked).
	Tokens    int
	Attention []Item
	Pages     []Link
	// Expiring is everyone's tokens that expire within 14 days (admins);
	// ExpiringAll is how many there are in all.
	Expiring    []Expiring
	ExpiringAll int
	Cards       []Card
}

// Item is one of the viewer's tokens that needs attention.
type Item struct {
	Name string
	Text string // e.g. "expires in 3 days"
	Tone string // badge tone: "amber" or "red" (badge-amber badge-red)
}

// Link is a catalog page the viewer can read.
type Link struct {
	Title string
	Href  string
	Icon  string
}

// Expiring is a token about to expire, as admins see it.
type Expiring struct {
	Name    string
	Owner   string
	Expires components.When
	Phrase  string
}
