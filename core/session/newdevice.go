package session

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"authd/core/auth"
	"authd/ports"
)

// newDeviceWindow is how long a device and network stay known after their
// last activity.
const newDeviceWindow = 90 * 24 * time.Hour

// Network sizes a device is recognised within: a home or office line keeps
// its /24 or /48 across address changes, so those do not alert.
const (
	ipv4NetworkBits = 24
	ipv6NetworkBits = 48
)

// networkOf is the network ip is recognised within; invalid for an unknown ip.
func networkOf(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := ipv6NetworkBits
	if ip.Is4() {
		bits = ipv4NetworkBits
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

// isNewDevice reports whether sess, about to be created, deserves an alert:
// the user has signed in before, and no session with this device name was
// active from this network within the window. The first session of an
// account alerts nobody (the user is the one signing up), and a session
// without an address cannot be placed on a network, so it does not alert
// either: otherwise a deployment that cannot see addresses would alert on
// every login.
func (s *Service) isNewDevice(ctx context.Context, sess auth.Session) (bool, error) {
	network := networkOf(sess.IP)
	if !network.IsValid() {
		return false, nil
	}
	anySession, seen, err := s.d.Sessions.DeviceSeen(ctx, sess.UserID, sess.Device.Name, network,
		sess.CreatedAt.Add(-newDeviceWindow))
	if err != nil {
		return false, fmt.Errorf("session: device history: %w", err)
	}
	return anySession && !seen, nil
}

// ComposeNewDeviceEmail writes the new-device alert a job asks for, reading
// the session and the address at send time. It returns auth.ErrNotFound when
// the user or the session is gone (or the job pairs a session with another
// user), so the worker cancels the job instead of retrying it. A session
// revoked since is still reported: the sign-in happened.
func (s *Service) ComposeNewDeviceEmail(ctx context.Context, job ports.SendEmailJob) (ports.Email, error) {
	sess, err := s.d.Sessions.FindSessionByID(ctx, job.SessionID)
	if err != nil {
		return ports.Email{}, fmt.Errorf("session: compose new-device email: %w", err)
	}
	if sess.UserID != job.UserID {
		return ports.Email{}, auth.ErrNotFound
	}
	u, err := s.d.Users.FindUserByID(ctx, job.UserID)
	if err != nil {
		return ports.Email{}, fmt.Errorf("session: compose new-device email: %w", err)
	}
	ip := "unknown"
	if sess.IP.IsValid() {
		ip = sess.IP.String()
	}
	return ports.Email{To: u.Email, Kind: ports.EmailNewDevice, Vars: map[string]string{
		"device": sess.Device.Name,
		"ip":     ip,
		"when":   sess.CreatedAt.UTC().Format(time.RFC1123),
	}}, nil
}
