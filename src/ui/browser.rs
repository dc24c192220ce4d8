//! The browser's APIs the UI needs (storage, tab messages, uploads with progress,
//! downloads, clipboard, regular expressions), behind small functions. On the server
//! (`ssr`) they do nothing: handlers and effects that call them run only in the browser.

/// The `sessionStorage` key holding this tab's session id.
pub const STORAGE_KEY: &str = "profdiff.session";

/// A file the user picked or dropped.
#[derive(Clone)]
pub struct PickedFile {
    #[cfg(feature = "hydrate")]
    file: web_sys::File,
    pub name: String,
    pub size: f64,
}

/// How an upload request ended: the HTTP status and body, or a network failure.
pub enum UploadEnd {
    Answered(u16, String),
    Failed(String),
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::{PickedFile, STORAGE_KEY, UploadEnd};
    use gloo_storage::{SessionStorage, Storage};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    /// The id is kept as a JSON string (`"…"`, what `SessionStorage::set` writes), read and
    /// written through the raw storage: a UUID holds nothing JSON escapes, and gloo's typed
    /// `get` would add a second JSON reader (`from_str`) to the bundle for one string.
    pub fn stored_session() -> Option<String> {
        let raw = SessionStorage::raw().get_item(STORAGE_KEY).ok()??;
        let id = raw.strip_prefix('"')?.strip_suffix('"')?;
        uuid::Uuid::parse_str(id).is_ok().then(|| id.to_string())
    }

    pub fn store_session(id: &str) {
        let _ = SessionStorage::raw().set_item(STORAGE_KEY, &format!("\"{id}\""));
    }

    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    thread_local! {
        static CHANNEL: Option<web_sys::BroadcastChannel> =
            web_sys::BroadcastChannel::new("profdiff.tabs").ok();
    }

    /// Answers other tabs' hellos for our id (`is_mine`), and reports answers to ours.
    pub fn listen_tabs(
        is_mine: impl Fn(&str) -> bool + 'static,
        on_taken: impl Fn(&str) + 'static,
    ) {
        CHANNEL.with(|c| {
            let Some(channel) = c else { return };
            let reply = channel.clone();
            let handler = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    let Some(text) = ev.data().as_string() else {
                        return;
                    };
                    if let Some(id) = text.strip_prefix("hello:") {
                        if is_mine(id) {
                            let _ = reply.post_message(&JsValue::from_str(&format!("taken:{id}")));
                        }
                    } else if let Some(id) = text.strip_prefix("taken:") {
                        on_taken(id);
                    }
                },
            );
            channel.set_onmessage(Some(handler.as_ref().unchecked_ref()));
            handler.forget();
        });
    }

    /// Asks the other tabs whether one of them already uses `id`.
    pub fn say_hello(id: &str) {
        CHANNEL.with(|c| {
            if let Some(channel) = c {
                let _ = channel.post_message(&JsValue::from_str(&format!("hello:{id}")));
            }
        });
    }

    fn picked(list: Option<web_sys::FileList>) -> Vec<PickedFile> {
        let Some(list) = list else { return Vec::new() };
        (0..list.length())
            .filter_map(|i| list.get(i))
            .map(|file| PickedFile {
                name: file.name(),
                size: file.size(),
                file,
            })
            .collect()
    }

    pub fn files_from_input(ev: &leptos::ev::Event) -> Vec<PickedFile> {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return Vec::new();
        };
        let files = picked(input.files());
        // Picking the same file again must fire `change` again.
        input.set_value("");
        files
    }

    pub fn files_from_drop(ev: &leptos::ev::DragEvent) -> Vec<PickedFile> {
        picked(ev.data_transfer().and_then(|d| d.files()))
    }

    /// Files already chosen in the file input with this id, e.g. before the page hydrated
    /// (when no `change` handler was listening yet); the input is emptied.
    pub fn files_in_input(id: &str) -> Vec<PickedFile> {
        let Some(input) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return Vec::new();
        };
        let files = picked(input.files());
        if !files.is_empty() {
            input.set_value("");
        }
        files
    }

    /// POSTs one file to `/api/upload`, reporting bytes sent as they go.
    pub fn upload(
        session: &str,
        file: &PickedFile,
        on_progress: impl Fn(f64) + 'static,
        on_end: impl FnOnce(UploadEnd) + 'static,
    ) {
        let fail = |e: JsValue| format!("{e:?}");
        let start = || -> Result<(), String> {
            let xhr = web_sys::XmlHttpRequest::new().map_err(fail)?;
            xhr.open("POST", "/api/upload").map_err(fail)?;
            xhr.set_request_header("X-Session-Id", session)
                .map_err(fail)?;
            let form = web_sys::FormData::new().map_err(fail)?;
            form.append_with_blob_and_filename("file", &file.file, &file.name)
                .map_err(fail)?;
            let progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
                move |ev: web_sys::ProgressEvent| on_progress(ev.loaded()),
            );
            xhr.upload()
                .map_err(fail)?
                .set_onprogress(Some(progress.as_ref().unchecked_ref()));
            progress.forget();
            let end = std::rc::Rc::new(std::cell::RefCell::new(Some(on_end)));
            let (end2, xhr2) = (end.clone(), xhr.clone());
            let load = Closure::<dyn FnMut()>::new(move || {
                if let Some(f) = end2.borrow_mut().take() {
                    f(UploadEnd::Answered(
                        xhr2.status().unwrap_or(0),
                        xhr2.response_text().ok().flatten().unwrap_or_default(),
                    ));
                }
            });
            xhr.set_onload(Some(load.as_ref().unchecked_ref()));
            load.forget();
            let error = Closure::<dyn FnMut()>::new(move || {
                if let Some(f) = end.borrow_mut().take() {
                    f(UploadEnd::Failed(
                        "the upload did not reach the server (network error)".into(),
                    ));
                }
            });
            xhr.set_onerror(Some(error.as_ref().unchecked_ref()));
            error.forget();
            xhr.send_with_opt_form_data(Some(&form)).map_err(fail)
        };
        if let Err(e) = start() {
            leptos::logging::error!("upload failed to start: {e}");
        }
    }

    fn click_download(url: &str, name: &str) {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Ok(a) = doc.create_element("a") {
            let a: web_sys::HtmlAnchorElement = a.unchecked_into();
            a.set_href(url);
            a.set_download(name);
            if let Some(body) = doc.body() {
                let _ = body.append_child(&a);
                a.click();
                let _ = body.remove_child(&a);
            }
        }
    }

    fn download_blob(blob: &web_sys::Blob, name: &str) {
        if let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) {
            click_download(&url, name);
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    }

    /// Saves `text` as a file named `name`.
    pub fn save_text(name: &str, mime: &str, text: &str) {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        if let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) {
            download_blob(&blob, name);
        }
    }

    /// Downloads a stored profile's bytes (the request needs the session header, so a
    /// plain link cannot do it).
    pub fn download_profile(
        session: &str,
        id: &str,
        name: &str,
        on_error: impl FnOnce(String) + 'static,
    ) {
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            return;
        };
        if xhr.open("GET", &format!("/api/profiles/{id}/raw")).is_err() {
            return;
        }
        let _ = xhr.set_request_header("X-Session-Id", session);
        xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Blob);
        let (name, xhr2) = (name.to_string(), xhr.clone());
        let mut on_error = Some(on_error);
        let load = Closure::<dyn FnMut()>::new(move || {
            if xhr2.status().unwrap_or(0) == 200 {
                if let Ok(blob) = xhr2.response().and_then(|r| r.dyn_into::<web_sys::Blob>()) {
                    download_blob(&blob, &name);
                }
            } else if let Some(f) = on_error.take() {
                f(format!(
                    "download failed (HTTP {})",
                    xhr2.status().unwrap_or(0)
                ));
            }
        });
        xhr.set_onload(Some(load.as_ref().unchecked_ref()));
        load.forget();
        let _ = xhr.send();
    }

    /// The page's origin (`http://host:port`), to build absolute links.
    pub fn origin() -> String {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default()
    }

    /// Copies `text` to the clipboard.
    pub async fn copy_text(text: &str) -> Result<(), String> {
        let window = web_sys::window().ok_or("no window")?;
        let promise = window.navigator().clipboard().write_text(text);
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map(|_| ())
            .map_err(|e| format!("the browser refused the clipboard: {e:?}"))
    }

    /// A case-insensitive JavaScript regular expression (no regex engine in the bundle).
    pub struct Pattern(js_sys::RegExp);

    impl Pattern {
        pub fn new(source: &str) -> Result<Pattern, String> {
            let ctor = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("RegExp"))
                .map_err(|_| "no RegExp".to_string())?;
            let ctor: js_sys::Function = ctor.unchecked_into();
            let args = js_sys::Array::of2(&JsValue::from_str(source), &JsValue::from_str("i"));
            js_sys::Reflect::construct(&ctor, &args)
                .map(|re| Pattern(re.unchecked_into()))
                .map_err(|e| {
                    e.dyn_ref::<js_sys::Error>()
                        .map(|e| String::from(e.message()))
                        .unwrap_or_else(|| "invalid regular expression".into())
                })
        }

        pub fn is_match(&self, text: &str) -> bool {
            self.0.test(text)
        }
    }

    /// The value of `attr` on the event's target or its nearest ancestor that has it (one
    /// listener for thousands of flame-graph frames).
    pub fn closest_attr(ev: &leptos::ev::Event, attr: &str) -> Option<String> {
        use wasm_bindgen::JsCast;
        let el = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
        el.closest(&format!("[{attr}]")).ok()??.get_attribute(attr)
    }

    /// Moves the keyboard focus to the element with this id once the page has rendered
    /// the change under way (a re-rendered list replaced the focused element).
    pub fn focus_later(id: &str) {
        use wasm_bindgen::JsCast;
        let id = id.to_string();
        leptos::prelude::request_animation_frame(move || {
            let el = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&id))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(el) = el {
                let _ = el.focus();
            }
        });
    }

    /// Scrolls the element with this id into view once the page has rendered the
    /// change under way (the least scrolling that shows it).
    pub fn scroll_into_view(id: &str) {
        let id = id.to_string();
        leptos::prelude::request_animation_frame(move || {
            let el = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&id));
            if let Some(el) = el {
                let opts = web_sys::ScrollIntoViewOptions::new();
                opts.set_block(web_sys::ScrollLogicalPosition::Nearest);
                el.scroll_into_view_with_scroll_into_view_options(&opts);
            }
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::{PickedFile, UploadEnd};

    pub fn stored_session() -> Option<String> {
        None
    }
    pub fn store_session(_: &str) {}
    pub fn now_ms() -> f64 {
        0.0
    }
    pub fn listen_tabs(_: impl Fn(&str) -> bool + 'static, _: impl Fn(&str) + 'static) {}
    pub fn say_hello(_: &str) {}
    pub fn files_from_input(_: &leptos::ev::Event) -> Vec<PickedFile> {
        Vec::new()
    }
    pub fn files_from_drop(_: &leptos::ev::DragEvent) -> Vec<PickedFile> {
        Vec::new()
    }
    pub fn files_in_input(_: &str) -> Vec<PickedFile> {
        Vec::new()
    }
    pub fn upload(
        _: &str,
        _: &PickedFile,
        _: impl Fn(f64) + 'static,
        _: impl FnOnce(UploadEnd) + 'static,
    ) {
    }
    pub fn save_text(_: &str, _: &str, _: &str) {}
    pub fn download_profile(_: &str, _: &str, _: &str, _: impl FnOnce(String) + 'static) {}
    pub fn origin() -> String {
        String::new()
    }
    pub async fn copy_text(_: &str) -> Result<(), String> {
        Err("no clipboard on the server".into())
    }
    pub struct Pattern;
    impl Pattern {
        pub fn new(_: &str) -> Result<Pattern, String> {
            Ok(Pattern)
        }
        pub fn is_match(&self, _: &str) -> bool {
            true
        }
    }
    pub fn scroll_into_view(_: &str) {}
    pub fn focus_later(_: &str) {}
    pub fn closest_attr(_: &leptos::ev::Event, _: &str) -> Option<String> {
        None
    }
}

pub use imp::*;
