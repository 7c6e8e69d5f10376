package clevertim

import (
	"context"
	"time"
)

// SetSleep replaces the client's retry waits, for tests that check them
// without waiting.
func SetSleep(c *Client, sleep func(context.Context, time.Duration) error) { c.sleep = sleep }
