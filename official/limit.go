package official

import (
	"sync"
	"time"
)

// Limiter counts failed logins per user and per client address, and
// locks either out for Lockout once it reaches its limit within Window.
// The zero value is not usable; use [NewLimiter]. It is safe for
// concurrent use and keeps state only in memory.
type Limiter struct {
	// PerUser and PerAddr are the failures allowed within Window.
	PerUser, PerAddr int
	Window, Lockout  time.Duration
	now              func() time.Time

	mu    sync.Mutex
	users map[string]*counter
	addrs map[string]*counter
}

type counter struct {
	fails  []time.Time
	locked time.Time // locked until
}

// NewLimiter returns a Limiter: 5 failures per user and 20 per address
// within 15 minutes lock out for 15 minutes.
func NewLimiter() *Limiter {
	return &Limiter{PerUser: 5, PerAddr: 20, Window: 15 * time.Minute, Lockout: 15 * time.Minute,
		now: time.Now, users: map[string]*counter{}, addrs: map[string]*counter{}}
}

// Check returns ErrLockedOut when user or addr is locked out now.
func (l *Limiter) Check(user, addr string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, c := range []*counter{l.users[user], l.addrs[addr]} {
		if c != nil && now.Before(c.locked) {
			return ErrLockedOut
		}
	}
	return nil
}

// Fail records a failed login of user from addr.
func (l *Limiter) Fail(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.fail(l.users, user, l.PerUser, now)
	l.fail(l.addrs, addr, l.PerAddr, now)
	if len(l.users)+len(l.addrs) > 100000 {
		l.prune(now)
	}
}

func (l *Limiter) fail(m map[string]*counter, k string, limit int, now time.Time) {
	c := m[k]
	if c == nil {
		c = &counter{}
		m[k] = c
	}
	keep := c.fails[:0]
	for _, t := range c.fails {
		if now.Sub(t) < l.Window {
			keep = append(keep, t)
		}
	}
	c.fails = append(keep, now)
	if len(c.fails) >= limit {
		c.locked = now.Add(l.Lockout)
		c.fails = nil
	}
}

// Success forgets user's failures (not the address's: a client that
// guesses many users stays counted).
func (l *Limiter) Success(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.users[user]; c != nil && !l.now().Before(c.locked) {
		delete(l.users, user)
	}
}

func (l *Limiter) prune(now time.Time) {
	for _, m := range []map[string]*counter{l.users, l.addrs} {
		for k, c := range m {
			if now.After(c.locked) && (len(c.fails) == 0 || now.Sub(c.fails[len(c.fails)-1]) > l.Window) {
				delete(m, k)
			}
		}
	}
}
