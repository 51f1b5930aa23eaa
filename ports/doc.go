// Package ports holds the small interfaces the core consumes.
//
// Driven adapters implement them: postgres and memory (stores, transactions),
// riverqueue (the job enqueuer and canceller), smtpmail (the mailer), saml
// (the SAML service provider), uap (the user-agent parser), argon2id (the
// password hasher), metrics (the session counters).
// Driving adapters, httpapi and the River workers, call the concrete core
// services instead and need no port.
//
// Store methods never begin or commit a transaction: they join the one that
// TxRunner.WithinTx put in the context, or run alone when there is none.
package ports
