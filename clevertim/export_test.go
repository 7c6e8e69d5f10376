package clevertim

import (
	"context"
	"time"
)

// SetSleep replaces the client's retry waits, for tests that check them
// without waiting.
func SetSleep(c *Client, sleep func(context.Context, time.Duration) error) { c.sleep = sleep }

// InFlightKeys is the number of API keys whose request slots are in use.
func InFlightKeys(c *Client) int { return c.shared.inFlight.len() }
