// The environment variables a client hands to its daemon session (SPEC §10); any other stays with the client.
export const isClientVariable = (name: string): boolean => name === 'HOME' || name === 'PATH' || name === 'VIRTUAL_ENV' || name.startsWith('TINYTORCH_');
