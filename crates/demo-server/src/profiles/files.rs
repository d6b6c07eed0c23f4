//! The `files` profile: tools `read`, `write`, `list` over a sandbox folder,
//! each sandbox file as a `file:///sandbox/<path>` resource, and the
//! `summarize_file` prompt.
//!
//! Invariants: every path goes through `Sandbox::resolve` before any file
//! system access; reads and writes are capped at `MAX_FILE_BYTES`; the sample
//! files are written only when the sandbox folder is first created.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::sandbox::Sandbox;
use super::{optional_str, required_str, unknown_tool, ToolOutput};
use crate::rpc::{RpcError, RESOURCE_NOT_FOUND};

pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
pub const URI_PREFIX: &str = "file:///sandbox/";
const MAX_LISTED: usize = 500;

const SAMPLE_FILES: [(&str, &str); 3] = [
    (
        "welcome.txt",
        "Welcome to the Behavry demo sandbox.\nFiles here can be listed, read and written by agents the policy allows.\n",
    ),
    (
        "quarterly-report.md",
        "# Q3 report\n\nRevenue grew 12% quarter over quarter, driven by displays and furniture.\nRefunds stayed under 2%.\nNext quarter: expand the accessories line.\n",
    ),
    (
        "notes/todo.txt",
        "- renew the TLS certificates\n- review the refund policy\n- onboard two new suppliers\n",
    ),
];

pub struct Files {
    sandbox: Sandbox,
}

impl Files {
    pub fn open(data_dir: &Path) -> anyhow::Result<Self> {
        let root = data_dir.join("sandbox");
        if !root.exists() {
            for (name, content) in SAMPLE_FILES {
                let path = root.join(name);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(path, content)?;
            }
        }
        Ok(Self {
            sandbox: Sandbox::new(&root)?,
        })
    }

    pub async fn call(
        &self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Result<ToolOutput, RpcError> {
        match name {
            "read" => Ok(self.read(required_str(arguments, "path")?).await),
            "write" => {
                let path = required_str(arguments, "path")?;
                let content = required_str(arguments, "content")?;
                Ok(self.write(path, content).await)
            }
            "list" => Ok(self
                .list(optional_str(arguments, "path")?.unwrap_or(""))
                .await),
            other => Err(unknown_tool(other)),
        }
    }

    async fn read(&self, requested: &str) -> ToolOutput {
        match self.read_text(requested).await {
            Ok(text) => ToolOutput::text(text),
            Err(message) => ToolOutput::error(message),
        }
    }

    /// Reads a sandbox file as UTF-8 text; errors are caller-facing messages.
    pub async fn read_text(&self, requested: &str) -> Result<String, String> {
        let path = self
            .sandbox
            .resolve(requested)
            .map_err(|error| error.to_string())?;
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|_| format!("file not found: {requested}"))?;
        if !metadata.is_file() {
            return Err(format!("not a file: {requested}"));
        }
        if metadata.len() > MAX_FILE_BYTES {
            return Err(format!(
                "file is larger than {MAX_FILE_BYTES} bytes: {requested}"
            ));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|error| format!("cannot read {requested}: {error}"))?;
        String::from_utf8(bytes).map_err(|_| format!("file is not utf-8 text: {requested}"))
    }

    async fn write(&self, requested: &str, content: &str) -> ToolOutput {
        if content.len() as u64 > MAX_FILE_BYTES {
            return ToolOutput::error(format!("content is larger than {MAX_FILE_BYTES} bytes"));
        }
        let path = match self.sandbox.resolve(requested) {
            Ok(path) if path == self.sandbox.root() => {
                return ToolOutput::error("path must name a file")
            }
            Ok(path) => path,
            Err(error) => return ToolOutput::error(error.to_string()),
        };
        if path.is_dir() {
            return ToolOutput::error(format!("path is a directory: {requested}"));
        }
        if let Some(parent) = path.parent() {
            if let Err(error) = tokio::fs::create_dir_all(parent).await {
                return ToolOutput::error(format!("cannot create folder for {requested}: {error}"));
            }
        }
        match tokio::fs::write(&path, content).await {
            Ok(()) => {
                ToolOutput::structured(json!({ "path": requested, "bytes_written": content.len() }))
            }
            Err(error) => ToolOutput::error(format!("cannot write {requested}: {error}")),
        }
    }

    async fn list(&self, requested: &str) -> ToolOutput {
        let path = match self.sandbox.resolve(requested) {
            Ok(path) => path,
            Err(error) => return ToolOutput::error(error.to_string()),
        };
        let mut reader = match tokio::fs::read_dir(&path).await {
            Ok(reader) => reader,
            Err(_) => return ToolOutput::error(format!("folder not found: {requested}")),
        };
        let mut entries = Vec::new();
        while let Ok(Some(entry)) = reader.next_entry().await {
            let Ok(metadata) = entry.metadata().await else {
                continue;
            };
            let kind = if metadata.is_dir() {
                "directory"
            } else {
                "file"
            };
            entries.push(json!({
                "name": entry.file_name().to_string_lossy(),
                "type": kind,
                "size": metadata.len(),
            }));
        }
        entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        ToolOutput::structured(json!({ "path": requested, "entries": entries }))
    }

    /// Every regular file in the sandbox as a resource descriptor.
    pub fn list_resources(&self) -> Value {
        let mut files = Vec::new();
        collect_files(self.sandbox.root(), &mut files);
        files.sort();
        let resources: Vec<Value> = files
            .iter()
            .filter_map(|path| self.sandbox.relative(path))
            .take(MAX_LISTED)
            .map(|relative| {
                json!({
                    "uri": format!("{URI_PREFIX}{relative}"),
                    "name": relative,
                    "mimeType": mime_type(&relative),
                })
            })
            .collect();
        json!({ "resources": resources })
    }

    pub async fn read_resource(&self, uri: &str) -> Result<Value, RpcError> {
        let not_found = || {
            RpcError::new(RESOURCE_NOT_FOUND, "resource not found").with_data(json!({ "uri": uri }))
        };
        let relative = uri.strip_prefix(URI_PREFIX).ok_or_else(not_found)?;
        let text = self.read_text(relative).await.map_err(|_| not_found())?;
        Ok(json!({ "contents": [{ "uri": uri, "mimeType": mime_type(relative), "text": text }] }))
    }

    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: &Map<String, Value>,
    ) -> Result<Value, RpcError> {
        if name != "summarize_file" {
            return Err(RpcError::invalid_params(format!("unknown prompt: {name}")));
        }
        let path = required_str(arguments, "path")?;
        let text = self
            .read_text(path)
            .await
            .map_err(RpcError::invalid_params)?;
        Ok(json!({
            "description": format!("Summarize {path}"),
            "messages": [{
                "role": "user",
                "content": {
                    "type": "text",
                    "text": format!("Summarize the file '{path}' in three sentences.\n\n---\n{text}"),
                }
            }]
        }))
    }
}

fn collect_files(folder: &Path, out: &mut Vec<PathBuf>) {
    let Ok(reader) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in reader.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            collect_files(&entry.path(), out);
        } else if file_type.is_file() && out.len() < MAX_LISTED {
            out.push(entry.path());
        }
    }
}

fn mime_type(name: &str) -> &'static str {
    if name.ends_with(".md") {
        "text/markdown"
    } else {
        "text/plain"
    }
}

pub fn prompt_definitions() -> Value {
    json!({ "prompts": [{
        "name": "summarize_file",
        "title": "Summarize a file",
        "description": "Ask the model to summarize one file of the sandbox.",
        "arguments": [{ "name": "path", "description": "Path of the file, relative to the sandbox.", "required": true }]
    }]})
}

pub fn tool_definitions() -> Value {
    let path = json!({ "type": "string", "description": "Path relative to the sandbox folder." });
    json!([
        {
            "name": "read",
            "title": "Read file",
            "description": "Read a UTF-8 text file from the sandbox folder.",
            "inputSchema": { "type": "object", "properties": { "path": path }, "required": ["path"], "additionalProperties": false },
            "annotations": { "readOnlyHint": true }
        },
        {
            "name": "write",
            "title": "Write file",
            "description": "Create or overwrite a text file in the sandbox folder (parent folders are created).",
            "inputSchema": {
                "type": "object",
                "properties": { "path": path, "content": { "type": "string", "description": "The full new content of the file." } },
                "required": ["path", "content"],
                "additionalProperties": false
            },
            "annotations": { "destructiveHint": true }
        },
        {
            "name": "list",
            "title": "List folder",
            "description": "List the entries of a folder in the sandbox (the sandbox root when path is omitted).",
            "inputSchema": { "type": "object", "properties": { "path": path }, "additionalProperties": false },
            "annotations": { "readOnlyHint": true }
        }
    ])
}
