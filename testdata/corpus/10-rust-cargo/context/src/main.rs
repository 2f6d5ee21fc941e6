fn main() {
    println!("ferris says hi");
}
