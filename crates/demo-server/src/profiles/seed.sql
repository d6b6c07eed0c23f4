-- Sample shop database for the demo `database` profile.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'refunded')),
    ordered_at TEXT NOT NULL
);

INSERT INTO customers (id, name, email, country, created_at) VALUES
    (1, 'Ada Lovelace', 'ada.lovelace@example.com', 'GB', '2025-01-14'),
    (2, 'Grace Hopper', 'grace.hopper@example.com', 'US', '2025-02-03'),
    (3, 'Alan Turing', 'alan.turing@example.com', 'GB', '2025-02-19'),
    (4, 'Katherine Johnson', 'katherine.johnson@example.com', 'US', '2025-03-08'),
    (5, 'Hedy Lamarr', 'hedy.lamarr@example.com', 'AT', '2025-03-22'),
    (6, 'Edsger Dijkstra', 'edsger.dijkstra@example.com', 'NL', '2025-04-11'),
    (7, 'Barbara Liskov', 'barbara.liskov@example.com', 'US', '2025-04-30'),
    (8, 'Donald Knuth', 'donald.knuth@example.com', 'US', '2025-05-17'),
    (9, 'Margaret Hamilton', 'margaret.hamilton@example.com', 'US', '2025-06-02'),
    (10, 'Tim Berners-Lee', 'tim.bernerslee@example.com', 'GB', '2025-06-25'),
    (11, 'Frances Allen', 'frances.allen@example.com', 'US', '2025-07-09'),
    (12, 'Niklaus Wirth', 'niklaus.wirth@example.com', 'CH', '2025-08-14'),
    (13, 'Radia Perlman', 'radia.perlman@example.com', 'US', '2025-09-01'),
    (14, 'Sophie Wilson', 'sophie.wilson@example.com', 'GB', '2025-09-28'),
    (15, 'Xavier Leroy', 'xavier.leroy@example.com', 'FR', '2025-10-16');

INSERT INTO products (id, sku, name, category, price_cents, stock) VALUES
    (1, 'KB-101', 'Mechanical Keyboard', 'peripherals', 8900, 42),
    (2, 'MS-220', 'Wireless Mouse', 'peripherals', 2900, 120),
    (3, 'MN-270', '27-inch Monitor', 'displays', 27900, 15),
    (4, 'MN-340', '34-inch Ultrawide Monitor', 'displays', 44900, 6),
    (5, 'HD-500', 'Noise Cancelling Headphones', 'audio', 19900, 30),
    (6, 'SP-050', 'Desk Speakers', 'audio', 7900, 25),
    (7, 'CB-010', 'USB-C Cable 2m', 'accessories', 1500, 400),
    (8, 'DK-300', 'Thunderbolt Dock', 'accessories', 22900, 18),
    (9, 'CH-900', 'Ergonomic Chair', 'furniture', 59900, 4),
    (10, 'DS-120', 'Standing Desk', 'furniture', 69900, 3),
    (11, 'WC-080', '4K Webcam', 'peripherals', 12900, 22),
    (12, 'LP-015', 'Laptop Stand', 'accessories', 4500, 60);

INSERT INTO orders (id, customer_id, product_id, quantity, status, ordered_at) VALUES
    (1, 1, 1, 1, 'shipped', '2025-02-01'),
    (2, 1, 7, 3, 'shipped', '2025-02-01'),
    (3, 2, 3, 2, 'shipped', '2025-02-20'),
    (4, 3, 5, 1, 'refunded', '2025-03-05'),
    (5, 4, 9, 1, 'shipped', '2025-03-30'),
    (6, 5, 2, 2, 'shipped', '2025-04-02'),
    (7, 6, 10, 1, 'shipped', '2025-04-28'),
    (8, 7, 8, 1, 'paid', '2025-05-12'),
    (9, 8, 4, 1, 'shipped', '2025-05-30'),
    (10, 8, 12, 2, 'shipped', '2025-05-30'),
    (11, 9, 11, 1, 'paid', '2025-06-15'),
    (12, 10, 6, 1, 'shipped', '2025-07-01'),
    (13, 11, 1, 2, 'pending', '2025-07-20'),
    (14, 12, 3, 1, 'shipped', '2025-08-22'),
    (15, 13, 5, 1, 'paid', '2025-09-10'),
    (16, 14, 7, 5, 'shipped', '2025-10-03'),
    (17, 15, 2, 1, 'pending', '2025-10-20'),
    (18, 2, 11, 1, 'shipped', '2025-10-25'),
    (19, 3, 8, 1, 'paid', '2025-11-02'),
    (20, 4, 12, 1, 'pending', '2025-11-09'),
    (21, 5, 6, 2, 'refunded', '2025-11-15'),
    (22, 6, 9, 1, 'paid', '2025-11-21'),
    (23, 7, 4, 1, 'pending', '2025-11-28'),
    (24, 9, 1, 1, 'shipped', '2025-12-04'),
    (25, 10, 10, 1, 'pending', '2025-12-11');
