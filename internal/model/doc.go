// Package model holds the plain types every layer shares: typed IDs, the
// domain objects (users, CPTS, groups, channels, memberships, sessions,
// invitations) and the error values the layers translate into one another
// (ErrNotFound, ErrConflict, ErrForbidden, *InvalidError…). It is a leaf: it
// imports nothing of the project.
package model
