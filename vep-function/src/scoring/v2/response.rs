//! Lenient reading of V2 answers: servers differ (MLServer, KServe, ModelMesh, Triton) in
//! details the spec leaves open, so only what the client needs is required.

use serde_json::Value;

use super::V2Error;

/// One output tensor, with nested `data` flattened in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputTensor {
    pub name: String,
    pub datatype: String,
    pub shape: Vec<u64>,
    pub data: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InferResponse {
    /// May differ from the requested name (ModelMesh adds a suffix): recorded, not checked.
    pub model_name: Option<String>,
    pub model_version: Option<String>,
    pub id: Option<String>,
    pub outputs: Vec<OutputTensor>,
}

fn decode(reason: impl Into<String>) -> V2Error {
    V2Error::Decode(reason.into())
}

/// Shape dimensions may come as numbers or as strings (int64 in JSON).
fn dimension(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flatten(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other.clone()),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl InferResponse {
    pub fn parse(body: &[u8]) -> Result<Self, V2Error> {
        let json: Value =
            serde_json::from_slice(body).map_err(|e| decode(format!("not JSON: {e}")))?;
        let outputs = json
            .get("outputs")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("no outputs list"))?;
        let outputs = outputs
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let name =
                    text(o.get("name")).ok_or_else(|| decode(format!("output {i} has no name")))?;
                let shape = o
                    .get("shape")
                    .and_then(Value::as_array)
                    .ok_or_else(|| decode(format!("output {name:?} has no shape")))?
                    .iter()
                    .map(dimension)
                    .collect::<Option<Vec<u64>>>()
                    .ok_or_else(|| decode(format!("output {name:?} has an unreadable shape")))?;
                let mut data = Vec::new();
                flatten(o.get("data").unwrap_or(&Value::Null), &mut data);
                if data == [Value::Null] {
                    return Err(decode(format!("output {name:?} has no data")));
                }
                Ok(OutputTensor {
                    datatype: text(o.get("datatype")).unwrap_or_default(),
                    name,
                    shape,
                    data,
                })
            })
            .collect::<Result<Vec<_>, V2Error>>()?;
        Ok(Self {
            model_name: text(json.get("model_name")),
            model_version: text(json.get("model_version")),
            id: text(json.get("id")),
            outputs,
        })
    }

    /// The output named `name`, or the first one when no name is configured.
    pub fn output(&self, name: Option<&str>) -> Result<&OutputTensor, V2Error> {
        match name {
            Some(n) => self.outputs.iter().find(|o| o.name == n).ok_or_else(|| {
                let answered: Vec<&str> = self.outputs.iter().map(|o| o.name.as_str()).collect();
                decode(format!("no output {n:?} (answered: {answered:?})"))
            }),
            None => self
                .outputs
                .first()
                .ok_or_else(|| decode("the answer has no outputs")),
        }
    }
}

impl OutputTensor {
    /// One value per input row: a scalar when each row has one element, else a list.
    pub fn rows(&self, rows: usize) -> Result<Vec<Value>, V2Error> {
        let total: u64 = self.shape.iter().product();
        if total != self.data.len() as u64 {
            return Err(decode(format!(
                "output {:?}: shape {:?} but {} values",
                self.name,
                self.shape,
                self.data.len()
            )));
        }
        // A 1-D output is one value per row; otherwise the first dimension is the batch.
        let answered = self.shape.first().copied().unwrap_or(1);
        if answered != rows as u64 {
            return Err(decode(format!(
                "output {:?} has {answered} rows for {rows} inputs",
                self.name
            )));
        }
        if rows == 0 {
            return Ok(Vec::new());
        }
        let width = self.data.len() / rows;
        Ok(self
            .data
            .chunks(width.max(1))
            .map(|chunk| match chunk {
                [one] => one.clone(),
                many => Value::Array(many.to_vec()),
            })
            .collect())
    }
}

/// A readable message from an error answer: `{"error": ...}` (V2 spec), `{"detail": ...}`
/// (FastAPI validation) or plain text, shortened.
pub fn error_message(body: &[u8]) -> String {
    const LIMIT: usize = 300;
    let message = match serde_json::from_slice::<Value>(body) {
        Ok(json) => match (json.get("error"), json.get("detail")) {
            (Some(Value::String(e)), _) => e.clone(),
            (Some(other), _) => other.to_string(),
            (None, Some(Value::String(d))) => d.clone(),
            (None, Some(Value::Array(items))) => items
                .iter()
                .map(|item| {
                    let place = item
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|loc| {
                            loc.iter()
                                .map(|p| text(Some(p)).unwrap_or_default())
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    // Only place and message: the `input` echoed back is our data.
                    let msg = text(item.get("msg")).unwrap_or_else(|| "invalid".into());
                    if place.is_empty() {
                        msg
                    } else {
                        format!("{place}: {msg}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
            _ => json.to_string(),
        },
        Err(_) => String::from_utf8_lossy(body).trim().to_string(),
    };
    let message = if message.is_empty() {
        "empty body".to_string()
    } else {
        message
    };
    match message.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}
