package store

import "go.mongodb.org/mongo-driver/v2/mongo"

// Database is the MongoDB database the store works in, for the packages
// that keep their own collections beside the store's: the GridFS blob
// store (internal/blob) keeps file bytes there so that replicas share
// them. Callers must not touch the store's collections through it.
func (s *Store) Database() *mongo.Database { return s.db }
