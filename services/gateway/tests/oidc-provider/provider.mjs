// A real, OpenID-certified identity provider for the gateway's sign-in test:
// npm `oidc-provider` (panva), configured here and nothing more. It serves
// discovery, the authorization-code flow with PKCE, its development login and
// consent pages, ID tokens with the nonce, JWT access tokens for the Hamafza
// services (EdDSA, audience `hamafza`, with the `org`, `roles` and `name`
// claims the services need) and client-credentials tokens for the services'
// own identity.
//
// Environment: PORT, REDIRECT_URI (the gateway's /signin/callback); the
// gateway's home page beside it is where a sign-out at the provider returns
// (RP-initiated logout, on by default).
// Prints `ready <issuer>` on stdout once it listens.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.REDIRECT_URI;
const postLogoutRedirectUri = new URL('/', redirectUri).href;

// The people this provider knows, as the holding's directory would.
const people = {
  'employee-4711': { org: 'msc', roles: ['trainee'], name: 'مریم کریمی' },
  'manager-ksc': { org: 'ksc', roles: ['org_manager'], name: 'رضا موسوی' },
};

const signing = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'hamafza-web',
      client_secret: 's3cret',
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutRedirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'EdDSA',
    },
    {
      client_id: 'hamafza-services',
      client_secret: 'service-s3cret',
      redirect_uris: [],
      grant_types: ['client_credentials'],
      response_types: [],
      id_token_signed_response_alg: 'EdDSA',
    },
  ],
  cookies: { keys: ['hamafza-oidc-test-cookie-key'] },
  jwks: { keys: [{ ...signing, kid: 'test-ed25519', use: 'sig', alg: 'EdDSA' }] },
  enabledJWA: {
    idTokenSigningAlgValues: ['EdDSA'],
  },
  pkce: { required: () => true, methods: ['S256'] },
  claims: { openid: ['sub'], profile: ['name'] },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:hamafza',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'hamafza',
        audience: 'hamafza',
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'EdDSA' } },
      }),
    },
  },
  async findAccount(_ctx, id) {
    const person = people[id];
    if (!person) return undefined;
    return { accountId: id, async claims() { return { sub: id, name: person.name }; } };
  },
  async extraTokenClaims(_ctx, token) {
    if (token.kind === 'ClientCredentials') {
      return { org: 'platform', roles: ['service'], name: token.clientId };
    }
    const person = people[token.accountId];
    return person ? { org: person.org, roles: person.roles, name: person.name } : {};
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
