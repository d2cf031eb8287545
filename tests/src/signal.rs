//! POSIX signals to a child process of the system under test: a real freeze (SIGSTOP, the
//! process keeps its sockets but does nothing: a stalled pod) and thaw (SIGCONT).

use crate::process::Service;

fn send(service: &Service, signal: &str) {
    let Some(pid) = service.child.id() else {
        panic!("{} has already exited", service.name);
    };
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill(1) available");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Freezes the process (SIGSTOP): connections are still accepted by the kernel, nothing answers.
pub fn freeze(service: &Service) {
    send(service, "STOP");
}

/// Lets a frozen process run again (SIGCONT).
pub fn thaw(service: &Service) {
    send(service, "CONT");
}
