// The proxy's tests use the shared network-namespace test kit of @skiff/client.
export * from '@skiff/client/netns-testing';
