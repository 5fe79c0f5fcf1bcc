// Package storetest is the contract suite of internal/store: Run exercises
// every method of every collection type against a store opened by the
// caller, so the same expectations hold on FerretDB-SQLite,
// FerretDB-PostgreSQL and MongoDB. OpenTest gives other packages' tests a
// store on a fresh database that disappears at the end of the test.
package storetest
