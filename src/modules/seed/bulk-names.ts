// Names for bulk users (seed-users.ts), roughly most common first: the seeder draws with a
// skew towards the head of each list, so a prefix such as "ma" matches a realistic share of
// a million users while "zb" matches a handful. Accents and apostrophes are deliberate: the
// admin search must find "Élodie" and "O'Brien" as typed.

export const FIRST_NAMES: readonly string[] = [
  'James', 'Mary', 'Maria', 'John', 'Michael', 'Linda', 'David', 'Sarah', 'Mohammed', 'Anna',
  'Robert', 'Jennifer', 'William', 'Elizabeth', 'Daniel', 'Emma', 'Thomas', 'Laura', 'Joseph', 'Sophie',
  'Martin', 'Marie', 'Christopher', 'Jessica', 'Paul', 'Julia', 'Mark', 'Lisa', 'Matthew', 'Karen',
  'Peter', 'Olivia', 'Andrew', 'Emily', 'Jean', 'Nancy', 'Luis', 'Sofía', 'José', 'Ana',
  'Carlos', 'Lucía', 'Juan', 'Carmen', 'Pierre', 'Léa', 'Louis', 'Chloé', 'Hugo', 'Manon',
  'Lukas', 'Hannah', 'Jonas', 'Lena', 'Leon', 'Mia', 'Felix', 'Amelia', 'Noah', 'Isabella',
  'Liam', 'Charlotte', 'Oliver', 'Ava', 'Elijah', 'Harper', 'Lucas', 'Evelyn', 'Mason', 'Abigail',
  'Ethan', 'Ella', 'Alexander', 'Grace', 'Henry', 'Chloe', 'Jacob', 'Victoria', 'Jack', 'Zoë',
  'Samuel', 'Nora', 'Benjamin', 'Alice', 'Sebastian', 'Clara', 'Matteo', 'Giulia', 'Marco', 'Francesca',
  'Alessandro', 'Chiara', 'Mateo', 'Valentina', 'Diego', 'Camila', 'Javier', 'Marta', 'Alejandro', 'Paula',
  'François', 'Élodie', 'Étienne', 'Hélène', 'Jérôme', 'Noémie', 'René', 'Renée', 'Inès', 'Maëlle',
  'Jürgen', 'Jörg', 'Björn', 'Søren', 'Åsa', 'Øystein', 'Łukasz', 'Małgorzata', 'Zoltán', 'Dóra',
  'Ahmed', 'Fatima', 'Omar', 'Aisha', 'Ali', 'Leila', 'Yusuf', 'Amira', 'Hassan', 'Nadia',
  'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Min-jun', 'Ji-woo', 'Arjun', 'Priya', 'Ravi', 'Ananya',
  'Kwame', 'Amara', 'Chinedu', 'Ngozi', 'Kofi', 'Abena', 'Tunde', 'Adaeze', "D'Andre", "Ja'Nae",
  'Magnus', 'Maja', 'Max', 'Maya', 'Malik', 'Margaux', 'Mathilde', 'Marius', 'Matías', 'Mariana',
  'Joanna', 'Jonathan', 'Jordan', 'Josephine', 'Joel', 'Joy', 'Johan', 'Jocelyn', 'Joaquín', 'Jolene',
  'Aaron', 'Beatriz', 'Cédric', 'Delphine', 'Eduardo', 'Fiona', 'Gabriel', 'Ingrid', 'Ivan', 'Katarzyna',
  'Quentin', 'Rosa', 'Stéphane', 'Tatiana', 'Ulrich', 'Vera', 'Xavier', 'Yasmin', 'Zachary', 'Zuzana',
  'Bartholomew', 'Cosima', 'Dagny', 'Eamon', 'Florentyna', 'Gwendolyn', 'Horatio', 'Isolde', 'Quirin', 'Zbigniew',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'García', 'Miller', 'Davis', 'Martin', 'Rodríguez',
  'Martínez', 'Hernández', 'López', 'González', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
  'Bernard', 'Dubois', 'Durand', 'Lefèvre', 'Moreau', 'Laurent', 'Simon', 'Michel', 'Leroy', 'Roux',
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco',
  'Sánchez', 'Pérez', 'Gómez', 'Díaz', 'Álvarez', 'Jiménez', 'Ruiz', 'Moreno', 'Muñoz', 'Núñez',
  "O'Brien", "O'Connor", "O'Neil", "O'Sullivan", "O'Reilly", "D'Angelo", "D'Souza", "Dell'Acqua", "N'Diaye", "D'Arcy",
  'Nguyen', 'Tran', 'Le', 'Pham', 'Kim', 'Lee', 'Park', 'Chen', 'Wang', 'Li',
  'Zhang', 'Liu', 'Singh', 'Kumar', 'Patel', 'Shah', 'Khan', 'Ahmed', 'Hussain', 'Ali',
  'White', 'Harris', 'Clark', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright',
  'Scott', 'Torres', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera',
  'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Phillips', 'Evans', 'Turner', 'Parker', 'Collins', 'Edwards',
  'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Peterson', 'Cooper', 'Reed', 'Bailey',
  'Marchand', 'Marsh', 'Marshall', 'Mason', 'Matthews', 'Maxwell', 'Mayer', 'Mazur', 'Macdonald', 'Mackenzie',
  'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Visser', 'Smit', 'de Jong', 'Janssen', 'Peeters',
  'Johansson', 'Andersson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsen', 'Hansen', 'Jensen', 'Pedersen', 'Østergaard',
  'Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński', 'Szymański', 'Woźniak',
  'Novák', 'Svoboda', 'Dvořák', 'Černý', 'Procházka', 'Horváth', 'Szabó', 'Tóth', 'Kovács', 'Nagy',
  'Okafor', 'Mensah', 'Adeyemi', 'Okonkwo', 'Boateng', 'Diallo', 'Traoré', 'Keïta', 'Mbeki', 'Abubakar',
  'Yamamoto', 'Tanaka', 'Suzuki', 'Watanabe', 'Sato', 'Ito', 'Nakamura', 'Kobayashi', 'Takahashi', 'Yoshida',
  'Fitzgerald', 'Gallagher', 'Kennedy', 'Quinn', 'Brennan', 'Doyle', 'Byrne', 'Kavanagh', 'Lynch', 'Walsh',
  'Schröder', 'Größmann', 'Bäcker', 'Jäger', 'Köhler', 'Krüger', 'Böhm', 'Günther', 'Vogt', 'Zimmermann',
  'Abernathy', 'Beaumont', 'Castellanos', 'Dankworth', 'Everhart', 'Fairweather', 'Grünewald', 'Holloway', 'Ignatiev', 'Jovanović',
  'Quiñones', 'Quigley', 'Ubaldi', 'Vásquez', 'Xiong', 'Yilmaz', 'Zaragoza', 'Zelenko', 'Zúñiga', 'Zwicky',
];
