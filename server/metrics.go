package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus metrics of one Server, in its own registry.
type metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec   // handler, code
	duration      *prometheus.HistogramVec // handler
	inFlight      prometheus.Gauge
	rejected      *prometheus.CounterVec // reason
	signatures    *prometheus.CounterVec // key, outcome
	verifications *prometheus.CounterVec // indication
	backend       *prometheus.HistogramVec
	backendErrors *prometheus.CounterVec // key, op
	auditEntries  prometheus.Counter
	auditErrors   prometheus.Counter
	keyUp         *prometheus.GaugeVec // key
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "segel_http_requests_total",
		Help: "HTTP requests by route and status code.",
	}, []string{"handler", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "segel_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"handler"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "segel_http_in_flight_requests",
		Help: "Sign and verify requests being processed.",
	})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "segel_http_rejected_total",
		Help: "Requests rejected before processing, by reason (concurrency, body_too_large, unauthenticated, forbidden).",
	}, []string{"reason"})
	m.signatures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "segel_signatures_total",
		Help: "Signing requests by key and outcome (signed, denied, refused, failed).",
	}, []string{"key", "outcome"})
	m.verifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "segel_verifications_total",
		Help: "Verified documents by overall indication.",
	}, []string{"indication"})
	m.backend = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "segel_key_backend_duration_seconds",
		Help:    "Latency of key backend calls by key and operation (open, sign, health).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"key", "op"})
	m.backendErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "segel_key_backend_errors_total",
		Help: "Failed key backend calls by key and operation (open, sign, health).",
	}, []string{"key", "op"})
	m.auditEntries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "segel_audit_entries_total",
		Help: "Entries written to the audit log.",
	})
	m.auditErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "segel_audit_errors_total",
		Help: "Failed audit log writes (signing stops until restart).",
	})
	m.keyUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "segel_key_up",
		Help: "1 when the key is open and usable, 0 when its backend failed.",
	}, []string{"key"})
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.rejected, m.signatures, m.verifications,
		m.backend, m.backendErrors, m.auditEntries, m.auditErrors, m.keyUp,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
