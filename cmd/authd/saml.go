package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"authd/adapters/postgres"
	"authd/adapters/saml"
	"authd/core/auth"
	"authd/core/sso"
	"authd/ports"
)

// loadSAMLConfig reads the SAML settings into c.
func loadSAMLConfig(c *config, getenv func(string) string) error {
	key, cert := getenv("AUTHD_SAML_SP_KEY"), getenv("AUTHD_SAML_SP_CERT")
	if (key == "") != (cert == "") {
		return &configError{"AUTHD_SAML_SP_KEY", "set both AUTHD_SAML_SP_KEY and AUTHD_SAML_SP_CERT, or neither"}
	}
	if key != "" {
		var err error
		if c.SAMLKeyPEM, err = pemOrFile(key); err != nil {
			return &configError{"AUTHD_SAML_SP_KEY", err.Error()}
		}
		if c.SAMLCertPEM, err = pemOrFile(cert); err != nil {
			return &configError{"AUTHD_SAML_SP_CERT", err.Error()}
		}
		if _, _, err := saml.ParseKeyPair(c.SAMLKeyPEM, c.SAMLCertPEM); err != nil {
			return &configError{"AUTHD_SAML_SP_KEY", err.Error()}
		}
	}
	for _, o := range splitList(getenv("AUTHD_ALLOWED_RETURN_ORIGINS")) {
		norm, err := sso.ParseOrigin(o)
		if err != nil {
			return &configError{"AUTHD_ALLOWED_RETURN_ORIGINS", fmt.Sprintf("%q: %v", o, err)}
		}
		c.AllowedReturnOrigins = append(c.AllowedReturnOrigins, norm)
	}
	c.SAMLEmailAttributes = splitList(getenv("AUTHD_SAML_EMAIL_ATTRIBUTE"))
	return nil
}

// pemOrFile takes PEM text as is (with literal \n sequences, as some
// environments flatten it, turned back into newlines), or else reads the
// file the value names.
func pemOrFile(v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN ") {
		if !strings.Contains(v, "\n") {
			v = strings.ReplaceAll(v, `\n`, "\n")
		}
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("neither PEM text nor a readable file: %v", err)
	}
	return b, nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// samlKeyPair is the SP signing pair when AUTHD_SAML_SP_KEY and
// AUTHD_SAML_SP_CERT are unset: the one stored in the database, or a new
// one generated and stored on first start. Concurrent first starts agree on
// one pair (see ports.SAMLKeyPairStore), so every process signs alike and
// the certificate IdPs pinned from the metadata stays valid across restarts.
func samlKeyPair(ctx context.Context, pool *pgxpool.Pool, cfg config, log *slog.Logger) (keyPEM, certPEM []byte, err error) {
	var store ports.SAMLKeyPairStore = postgres.NewSSOStore(postgres.New(pool))
	keyPEM, certPEM, err = store.FindSAMLKeyPair(ctx)
	if err == nil {
		return keyPEM, certPEM, nil
	}
	if !errors.Is(err, auth.ErrNotFound) {
		return nil, nil, err
	}
	key, cert, err := saml.GenerateKeyPair(cfg.PublicURL.Hostname()+" SAML SP", time.Now())
	if err != nil {
		return nil, nil, err
	}
	if keyPEM, certPEM, err = saml.EncodeKeyPair(key, cert); err != nil {
		return nil, nil, err
	}
	if keyPEM, certPEM, err = store.PutSAMLKeyPair(ctx, keyPEM, certPEM); err != nil {
		return nil, nil, err
	}
	log.Info("SAML SP key pair generated and stored in the database (set AUTHD_SAML_SP_KEY and AUTHD_SAML_SP_CERT to choose one)")
	return keyPEM, certPEM, nil
}

// newSAMLSP is the SP at the public URL: its entity ID is its metadata URL.
func newSAMLSP(cfg config, clock ports.Clock) (*saml.SP, error) {
	key, cert, err := saml.ParseKeyPair(cfg.SAMLKeyPEM, cfg.SAMLCertPEM)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.PublicURL.String(), "/")
	return saml.New(saml.Config{EntityID: base + "/v1/saml/metadata", ACSURL: base + "/v1/saml/acs",
		Key: key, Cert: cert, Now: clock.Now})
}

const samlUsage = `usage: authd saml add --domain example.com (--metadata idp.xml | --entity-id ID --sso-url URL --cert idp.pem) [--enforce-sso] [--allow-idp-initiated]
       authd saml list
       authd saml remove (--domain example.com | example.com)`

// runSAML is `authd saml add|list|remove`: the admin API's provider
// registration for operators at a shell. It needs a migrated database.
func runSAML(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return &usageError{samlUsage}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("authd saml "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	domain := fs.String("domain", "", "the email domain the provider serves")
	var metadata, entityID, ssoURL, certFile *string
	var enforce, allowIdP *bool
	switch sub {
	case "add":
		metadata = fs.String("metadata", "", "the IdP's metadata XML file")
		entityID = fs.String("entity-id", "", "the IdP's entity ID (without --metadata)")
		ssoURL = fs.String("sso-url", "", "the IdP's HTTP-Redirect SSO URL (without --metadata)")
		certFile = fs.String("cert", "", "a PEM file of the IdP's signing certificates (without --metadata)")
		enforce = fs.Bool("enforce-sso", false, "refuse password login and signup for the domain")
		allowIdP = fs.Bool("allow-idp-initiated", false, "accept IdP-initiated (unsolicited) responses")
	case "list", "remove":
	default:
		return &usageError{samlUsage}
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{samlUsage}
	}
	if sub == "remove" && *domain == "" && fs.NArg() == 1 {
		*domain = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return &usageError{samlUsage}
	}
	if (sub == "add" || sub == "remove") && *domain == "" {
		return &usageError{samlUsage}
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	// The operator reads stdout; only errors go to stderr.
	log := newLogger(stderr, "error")
	svc, closeAll, err := samlAdmin(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeAll()

	switch sub {
	case "add":
		in := sso.ProviderInput{Domain: *domain, EntityID: *entityID, SSOURL: *ssoURL,
			EnforceSSO: *enforce, AllowIdPInitiated: *allowIdP}
		if *metadata != "" {
			b, err := os.ReadFile(*metadata)
			if err != nil {
				return &usageError{"--metadata: " + err.Error()}
			}
			in.MetadataXML = string(b)
		}
		if *certFile != "" {
			b, err := os.ReadFile(*certFile)
			if err != nil {
				return &usageError{"--cert: " + err.Error()}
			}
			in.CertificatePEM = string(b)
		}
		p, err := svc.CreateProvider(ctx, in)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "added SAML provider %s for %s (entity ID %s, %d signing certificates)\n",
			p.ID, p.Domain, p.EntityID, len(p.Certificates))
	case "list":
		ps, err := svc.Providers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tDOMAIN\tENTITY ID\tCERTIFICATES\tENFORCE SSO\tIDP-INITIATED")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%t\n", p.ID, p.Domain, p.EntityID, len(p.Certificates),
				p.EnforceSSO, p.AllowIdPInitiated)
		}
		return tw.Flush()
	case "remove":
		p, err := svc.ProviderByDomain(ctx, *domain)
		if err == nil {
			err = svc.DeleteProvider(ctx, p.ID)
		}
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "removed SAML provider %s for %s\n", p.ID, p.Domain)
	}
	return nil
}

// cliError shows an application error by its message: what the operator
// typed was wrong (exit code 2), not the program.
func cliError(err error) error {
	var ae *auth.Error
	if errors.As(err, &ae) && ae.Kind != auth.KindInternal {
		return &usageError{ae.Code + ": " + ae.Message}
	}
	return err
}

// samlAdmin wires the program for the saml commands (see wireForAdmin) and
// returns its SSO service.
func samlAdmin(ctx context.Context, cfg config, log *slog.Logger) (*sso.Service, func(), error) {
	a, pool, err := wireForAdmin(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return a.sso, pool.Close, nil
}
