fn main() {
    // Lossy conversion so a non-UTF-8 argument is reported as bad input instead of panicking.
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    std::process::exit(sample_usage_core::run(&args));
}
