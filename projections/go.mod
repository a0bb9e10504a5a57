module github.com/together-coop/together/projections

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/uuid v1.6.0
	github.com/together-coop/together/events v0.0.0
)

require github.com/go-json-experiment/json v1.27.2

replace github.com/together-coop/together/events => ../events
