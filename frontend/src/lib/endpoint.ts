// The editable shape of a source or destination in the New migration form, and its
// conversion into the EndpointInput the backend validates.
import type { EndpointDTO, EndpointInput } from '../api'

export type Protocol = 'sftp' | 'ftps' | 'ftp' | 'local'

export const defaultPort: Record<Protocol, number | null> = {
  sftp: 22,
  ftps: 21,
  ftp: 21,
  local: null,
}

export interface EndpointModel {
  protocol: Protocol
  host: string
  port: number | null
  user: string
  password: string
  privateKey: string
  passphrase: string
  path: string
  db: {
    host: string
    port: number | null
    user: string
    password: string
    name: string
    sshTunnel: boolean
    fromWpConfig: boolean
    /** access is the database route: '' (Automatic), 'direct', 'ssh-tunnel', 'ssh-command' or 'php'. */
    access: string
    /** siteIp is where the site's PHP answers when its name does not lead there (optional). */
    siteIp: string
  }
}

/** accessOptions are the database routes the form offers; SSH ones need an SFTP login. */
export function accessOptions(sftp: boolean): { label: string; value: string }[] {
  const all = [
    { label: 'Automatic', value: '' },
    { label: 'Direct', value: 'direct' },
    { label: 'SSH tunnel', value: 'ssh-tunnel' },
    { label: 'SSH command', value: 'ssh-command' },
    { label: 'Through the site (PHP)', value: 'php' },
  ]
  return sftp ? all : all.filter((o) => !o.value.startsWith('ssh-'))
}

/** accessLabel names a stored database route as the form offers it. */
export function accessLabel(access: string | undefined): string {
  return accessOptions(true).find((o) => o.value === (access ?? ''))?.label ?? access ?? ''
}

/**
 * usesSite tells whether Ferry may talk to the site's PHP on this side: the database
 * through the site (chosen, or as Automatic's last resort), and an FTP source's small files.
 */
export function usesSite(side: 'source' | 'destination', m: EndpointModel): boolean {
  if (m.protocol === 'local') return false
  if (m.db.access === '' || m.db.access === 'php') return true
  return side === 'source' && m.protocol !== 'sftp'
}

export function blankEndpoint(protocol: Protocol, fromWpConfig: boolean): EndpointModel {
  return {
    protocol,
    host: '',
    port: defaultPort[protocol],
    user: '',
    password: '',
    privateKey: '',
    passphrase: '',
    path: '',
    db: {
      host: 'localhost',
      port: 3306,
      user: '',
      password: '',
      name: '',
      sshTunnel: false,
      fromWpConfig,
      access: '',
      siteIp: '',
    },
  }
}

/** endpointInput trims the model and drops what its protocol and toggles do not use. */
export function endpointInput(m: EndpointModel): EndpointInput {
  const local = m.protocol === 'local'
  const sftp = m.protocol === 'sftp'
  const dbFromConfig = m.db.fromWpConfig
  const access = !sftp && m.db.access.startsWith('ssh-') ? '' : m.db.access
  const siteIp = local ? '' : m.db.siteIp.trim()
  return {
    protocol: m.protocol,
    host: local ? '' : m.host.trim(),
    port: local ? 0 : (m.port ?? 0),
    user: local ? '' : m.user.trim(),
    password: local ? '' : m.password,
    privateKey: sftp ? m.privateKey : '',
    passphrase: sftp && m.privateKey ? m.passphrase : '',
    path: m.path.trim(),
    certFingerprint: '',
    db: dbFromConfig
      ? {
          host: '',
          port: 0,
          user: '',
          password: '',
          name: '',
          sshTunnel: sftp && m.db.sshTunnel,
          fromWpConfig: true,
          access,
          siteIp,
        }
      : {
          host: m.db.host.trim(),
          port: m.db.port ?? 0,
          user: m.db.user.trim(),
          password: m.db.password,
          name: m.db.name.trim(),
          sshTunnel: sftp && m.db.sshTunnel,
          fromWpConfig: false,
          access,
          siteIp,
        },
  }
}

/**
 * endpointModel is a stored endpoint (as the details show it) back in the form's shape for
 * Edit: every secret empty, which the backend reads as "keep the stored one".
 */
export function endpointModel(d: EndpointDTO): EndpointModel {
  const protocol = (['sftp', 'ftps', 'ftp', 'local'] as Protocol[]).includes(d.protocol as Protocol)
    ? (d.protocol as Protocol)
    : 'sftp'
  return {
    protocol,
    host: d.host,
    port: d.port || defaultPort[protocol],
    user: d.user,
    password: '',
    privateKey: '',
    passphrase: '',
    path: d.path,
    db: {
      host: d.db.host,
      port: d.db.port || 3306,
      user: d.db.user,
      password: '',
      name: d.db.name,
      sshTunnel: d.db.sshTunnel,
      fromWpConfig: d.db.fromWpConfig,
      access: d.db.access ?? '',
      siteIp: d.db.siteIp ?? '',
    },
  }
}

/** replacementsInput drops empty rows of the extra replacements and keeps the rest as typed. */
export function replacementsInput(
  pairs: { find: string; replace: string }[],
): { find: string; replace: string }[] {
  return pairs.filter((p) => p.find !== '' || p.replace !== '').map((p) => ({ ...p }))
}
