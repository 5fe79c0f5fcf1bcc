package store

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// mirror converts between a document type D and its model M when D
// mirrors M: for every field of M, D has a field of the same name and type,
// which its bson tag names in the database; D's other fields (the _id of a
// pair, a name_key, a scope) are its own, set by the collection. Times are
// read back in UTC and stored in UTC to the millisecond (msUTC, msUTCPtr),
// the precision of a BSON date, so a document read back equals the one
// written. So each collection declares its document once instead of
// spelling every field out again in both conversions.
type mirror[D, M any] struct {
	fields []mirrored
}

// mirrored is one field of M and its counterpart in D.
type mirrored struct {
	model, doc int // the field's index in M and in D
	kind       mirrorKind
}

type mirrorKind int

const (
	mirrorPlain   mirrorKind = iota // copied as is
	mirrorTime                      // time.Time: UTC
	mirrorTimePtr                   // *time.Time: UTC, nil stays nil
)

// mirrorOf returns the mirror of D and M, D's own fields being named in
// own. It panics, at package initialisation, when D does not mirror M: a
// field of M missing from D or of another type, or a field of D neither in
// M nor in own.
func mirrorOf[D, M any](own ...string) mirror[D, M] {
	dt, mt := reflect.TypeFor[D](), reflect.TypeFor[M]()
	var m mirror[D, M]
	for i := range mt.NumField() {
		mf := mt.Field(i)
		df, ok := dt.FieldByName(mf.Name)
		if !ok || df.Type != mf.Type || len(df.Index) != 1 {
			panic(fmt.Sprintf("store: %s does not mirror field %s of %s", dt, mf.Name, mt))
		}
		kind := mirrorPlain
		switch mf.Type {
		case reflect.TypeFor[time.Time]():
			kind = mirrorTime
		case reflect.TypeFor[*time.Time]():
			kind = mirrorTimePtr
		}
		m.fields = append(m.fields, mirrored{model: i, doc: df.Index[0], kind: kind})
	}
	for i := range dt.NumField() {
		if name := dt.Field(i).Name; !slices.Contains(own, name) {
			if _, ok := mt.FieldByName(name); !ok {
				panic(fmt.Sprintf("store: field %s of %s is neither in %s nor its own", name, dt, mt))
			}
		}
	}
	return m
}

// model converts a document read to its model, times in UTC.
func (m mirror[D, M]) model(d D) M {
	var x M
	m.copy(reflect.ValueOf(&x).Elem(), reflect.ValueOf(&d).Elem(), false, time.Time.UTC, utcPtr)
	return x
}

// doc converts a model to the document to write, times in UTC to the
// millisecond; D's own fields are left zero.
func (m mirror[D, M]) doc(x M) D {
	var d D
	m.copy(reflect.ValueOf(&d).Elem(), reflect.ValueOf(&x).Elem(), true, msUTC, msUTCPtr)
	return d
}

// copy sets the mirrored fields of dst from those of src: of a D from an
// M when toDoc, else the other way round. It converts times with t and
// optional times with tp.
func (m mirror[D, M]) copy(dst, src reflect.Value, toDoc bool, t func(time.Time) time.Time, tp func(*time.Time) *time.Time) {
	for _, f := range m.fields {
		in, out := f.doc, f.model
		if toDoc {
			in, out = f.model, f.doc
		}
		from, to := src.Field(in), dst.Field(out)
		switch f.kind {
		case mirrorTime:
			*to.Addr().Interface().(*time.Time) = t(*from.Addr().Interface().(*time.Time))
		case mirrorTimePtr:
			*to.Addr().Interface().(**time.Time) = tp(*from.Addr().Interface().(**time.Time))
		default:
			to.Set(from)
		}
	}
}
