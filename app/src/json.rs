//! JSON in the browser through the browser's own parser and printer (`JSON.parse`,
//! `JSON.stringify`): serde maps the JS values to the shared wire types, so the WASM carries no
//! JSON library of its own (serde_json was a tenth of the module). The server and the tests use
//! serde_json; both read and write the same camelCase documents.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses a JSON document into `T`; the error says what was wrong.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(text).map_err(|e| crate::api::describe_js(&e))?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// Prints `value` as a JSON document, maps as objects (as serde_json does).
pub fn to_string<T: Serialize>(value: &T) -> Result<String, String> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| e.to_string())?;
    let text = js_sys::JSON::stringify(&value).map_err(|e| crate::api::describe_js(&e))?;
    Ok(String::from(text))
}
