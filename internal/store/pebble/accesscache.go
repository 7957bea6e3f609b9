package pebble

import (
	"slices"
	"sync"

	"github.com/tipd/tipd/internal/intel"
)

// accessCache keeps decoded users and tokens, so that authenticating a
// request reads no key and decodes no JSON. It is exact because this Store
// is the only writer of its directory (the directory lock; operator
// commands reach a running server through its socket, not the directory):
// every write of a user or a token goes through PutUser, SetToken or
// RevokeToken, which empty the cache after they commit. A read that missed
// the cache fills it only if no write emptied the cache meanwhile (gen), so
// a value read before a write is never kept after it. Unknown tokens are
// not kept (a flood of them would fill the cache with nothing), and the
// cache is emptied when it reaches accessCacheMax entries of a kind.
type accessCache struct {
	mu     sync.Mutex
	gen    uint64
	users  map[string]intel.User
	tokens map[string]intel.Token
}

const accessCacheMax = 10000

func (c *accessCache) user(name string) (intel.User, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u, ok := c.users[name]
	u.CertFingerprints = slices.Clone(u.CertFingerprints)
	return u, c.gen, ok
}

func (c *accessCache) token(hash string) (intel.Token, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[hash]
	return t, c.gen, ok
}

// putUser keeps u if the cache was not emptied since gen was read.
func (c *accessCache) putUser(u intel.User, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.users == nil || len(c.users) >= accessCacheMax {
		c.users = map[string]intel.User{}
	}
	u.CertFingerprints = slices.Clone(u.CertFingerprints)
	c.users[u.Name] = u
}

// putToken keeps t if the cache was not emptied since gen was read.
func (c *accessCache) putToken(t intel.Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.tokens == nil || len(c.tokens) >= accessCacheMax {
		c.tokens = map[string]intel.Token{}
	}
	c.tokens[t.Hash] = t
}

// reset empties the cache; writers call it after they commit.
func (c *accessCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.users, c.tokens = nil, nil
}
