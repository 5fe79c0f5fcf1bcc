// Package brokertest is the contract suite every realtime.Broker passes:
// the memory bus of package realtime, and Redis (realtime/redisbroker). A
// backend is tested through a constructor of n nodes sharing one fresh,
// isolated backend, so the suite also checks what crosses nodes.
package brokertest
