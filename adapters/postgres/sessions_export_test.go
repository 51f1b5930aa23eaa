package postgres

// The session queries, for the plan checks in sessions_test.go (an external
// test package, since pgtest imports this one).
const (
	FindByTokenSQL   = findByTokenSQL
	DeviceSeenSQL    = deviceSeenSQL
	DeleteExpiredSQL = deleteExpiredSQL
)
