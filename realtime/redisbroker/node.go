package redisbroker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Node is what one e-CPTS node holds in Redis: the broker (on a client of
// its own, as Pub/Sub holds a connection), the recent-history window the
// nodes share, and the client that shared rate limits take
// (internal/ratelimit's Redis types). cmd/ecpts opens it with Connect and
// needs no Redis code of its own.
type Node struct {
	Broker *Broker
	Window *Window
	// Client is for internal/ratelimit (NewRedis, NewRedisBucket); keys
	// go under the same prefix.
	Client *redis.Client
}

// Connect opens the Redis at url (redis://[:password@]host:port/db),
// checks within ctx that it answers, and returns the node's broker and
// window with opt.Prefix. Errors never repeat the URL (it may hold a
// password); a Redis that does not answer is "cannot connect to host:port".
// Close releases everything, once the broker's Run has returned.
func Connect(ctx context.Context, url string, opt Options) (*Node, error) {
	ropt, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("invalid Redis URL: want redis://[:password@]host:port/db")
	}
	client := redis.NewClient(ropt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = client.Ping(pctx).Err()
	cancel()
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("cannot connect to %s: %w", ropt.Addr, err)
	}
	b := New(redis.NewClient(ropt), opt)
	b.owned = true
	return &Node{
		Broker: b,
		Window: NewWindow(client, WindowOptions{Prefix: b.opt.Prefix}),
		Client: client,
	}, nil
}

// Close closes the broker's connections and the shared client.
func (n *Node) Close() error {
	return errors.Join(n.Broker.Close(), n.Client.Close())
}
