package service

import (
	"context"
	"strings"

	"ferry/backend/migration"
	"ferry/backend/pipeline"
)

// AttachPipeline gives the service the pipeline, for Test connection.
func (s *Service) AttachPipeline(p *pipeline.Pipeline) {
	s.mu.Lock()
	s.pipe = p
	s.mu.Unlock()
}

// TestConnection tries a source ("source") or destination ("destination") as typed in
// the New migration form and answers within ten seconds with what works: the login and
// path, WordPress found there (source), and the database. Nothing is stored or written.
func (s *Service) TestConnection(ctx context.Context, side string, in EndpointInput) (pipeline.ConnectionReport, error) {
	if side != "source" && side != "destination" {
		return pipeline.ConnectionReport{}, Errorf(CodeInvalid, "side must be source or destination, not %q", side)
	}
	s.mu.RLock()
	p := s.pipe
	s.mu.RUnlock()
	if p == nil {
		return pipeline.ConnectionReport{}, Errorf(CodeInternal, "the migration engine is not running")
	}
	if !migration.Protocol(in.Protocol).Valid() {
		return pipeline.ConnectionReport{}, &Error{Code: CodeInvalid, Message: "Choose a protocol", Fields: map[string]string{side + ".protocol": "Choose FTP, FTPS, SFTP or a local folder."}}
	}
	ep := migration.Endpoint{
		Protocol: migration.Protocol(in.Protocol), Host: strings.TrimSpace(in.Host), Port: in.Port, User: in.User,
		Password: in.Password, PrivateKey: in.PrivateKey, Passphrase: in.Passphrase, Path: in.Path,
		CertFingerprint: in.CertFingerprint,
		DB: migration.Database{Host: in.DB.Host, Port: in.DB.Port, User: in.DB.User, Password: in.DB.Password,
			Name: in.DB.Name, SSHTunnel: in.DB.SSHTunnel, FromWPConfig: in.DB.FromWPConfig,
			Access: dbAccess(in.DB), SiteIP: in.DB.SiteIP},
	}
	if ep.Port == 0 {
		ep.Port = ep.Protocol.DefaultPort()
	}
	return p.TestEndpoint(ctx, ep, side == "source"), nil
}
