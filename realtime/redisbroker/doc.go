// Package redisbroker is the realtime.Broker of a multi-node deployment:
// publications travel through Redis Pub/Sub (one PUBLISH reaches every
// node), presence lives in one sorted set per user (member = node, score =
// expiry, refreshed by the hub's heartbeat).
//
// Redis Pub/Sub keeps nothing for a disconnected subscriber. When the
// node's Pub/Sub connection breaks, Run opens a new one, subscribes every
// key again and, once Redis has confirmed, calls HandleResume: the hub tells
// its clients to resubscribe from their last sequences, which replays
// whatever the node missed from the store.
package redisbroker
