package realtime_test

import (
	"testing"

	"github.com/ecpts/ecpts/realtime"
	"github.com/ecpts/ecpts/realtime/brokertest"
)

func TestMemoryBroker(t *testing.T) {
	brokertest.Run(t, func(t *testing.T, n int) []realtime.Broker {
		bus := realtime.NewMemoryBus()
		nodes := make([]realtime.Broker, n)
		for i := range nodes {
			nodes[i] = bus.Node()
		}
		return nodes
	})
}
