package fingerprint

// SymbolPrefix is symbolPrefix, for the tests.
var SymbolPrefix = symbolPrefix
