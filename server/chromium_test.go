package server

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"segel/internal/judge"
)

// requireChromium skips the test without Chromium (fails it under CI).
func requireChromium(t *testing.T) { judge.RequireChromium(t) }

// startChromium starts a headless Chromium for the test and returns its
// context.
func startChromium(t *testing.T) context.Context { return judge.Chromium(t, 1000, 900) }

// noScript turns JavaScript off in the tab: the pages must work without it.
func noScript() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
}
