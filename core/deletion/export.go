package deletion

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"authd/ports"
)

// Export returns everything stored about the user, secrets left out (see
// ports.UserData), stamped with when it was read. Recent authentication is the HTTP
// layer's to require.
func (s *Service) Export(ctx context.Context, userID uuid.UUID) (ports.UserData, error) {
	data, err := s.d.Data.ExportUserData(ctx, userID)
	if err != nil {
		return ports.UserData{}, fmt.Errorf("deletion: export: %w", err)
	}
	data.ExportedAt = s.now()
	return data, nil
}
