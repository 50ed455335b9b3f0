// jest's CommonJS runtime cannot require @apidevtools/json-schema-ref-parser (ES modules only). openapi-backend
// only calls it to load a document from a path or outside quick mode; the sandboxes give it a parsed document
// in quick mode (dereferenced synchronously by dereference-json-schema), so under jest it is never called.
const unavailable = () => {
  throw new Error(
    'json-schema-ref-parser is not available under jest: give openapi-backend a parsed document in quick mode',
  );
};
// `parse` of an already parsed document is the document itself.
const parse = (doc) => (doc !== null && typeof doc === 'object' ? Promise.resolve(doc) : unavailable());
module.exports = { __esModule: true, default: { dereference: unavailable, resolve: unavailable, parse } };
