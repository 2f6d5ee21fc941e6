use serde::Serialize;

#[derive(Serialize)]
struct Status {
    ok: bool,
}

fn main() {
    println!("{}", serde_json::to_string(&Status { ok: true }).unwrap());
}
