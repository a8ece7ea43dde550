"""The words of the demo: people's names, the services and what goes wrong with them, and what
customers and staff write. Nothing here decides what happens; see story and conversation."""

from __future__ import annotations

from dataclasses import dataclass

from tickets.status import Priority

MANAGER_NAME = "Dana Whitfield"


AGENT_NAMES = ["Alex Morgan", "Priya Natarajan", "Jonas Weber", "Fatima Okafor", "Lucas Ferreira"]


FIRST_NAMES = (  # noqa: SIM905 (a word list reads better as text)
    "Anna Ben Chloe David Elena Farid Grace Hiro Ines Jakob Kira Liam Maya Noah Olga Pavel "
    "Quinn Rosa Samir Tara Umar Vera Wen Ximena Yusuf Zoe Amir Beatriz Carlos Dilara Emil "
    "Freya Gabriel Hannah Ivan Julia Kofi Lena Mateo Nina"
).split()


LAST_NAMES = (  # noqa: SIM905
    "Schneider Novak Okonkwo Lindqvist Moreau Tanaka Rossi Kowalski Haddad Jensen Silva "
    "Fischer Petrov Nguyen Murphy Andersson Costa Yilmaz Brennan Kaur Dubois Horvat Larsen "
    "Mendes Sato Weber Zimmermann Ortiz Popescu Varga Becker Khan Lopez Meyer Nakamura "
    "Olsen Russo Svensson Torres Wagner"
).split()


@dataclass(frozen=True)
class Service:
    name: str
    description: str
    problems: tuple[tuple[str, str], ...]  # (subject, first sentence of the description)
    fixes: tuple[str, ...]  # resolution notes


SERVICES = [
    Service(
        "E-mail",
        "Mailboxes, calendars and shared inboxes",
        (
            (
                "Outlook keeps asking for my password",
                "Outlook asks for my password every few minutes, even right after I enter it.",
            ),
            (
                "Shared mailbox disappeared",
                "The team's shared mailbox is gone from my folder list.",
            ),
            (
                "Mails to a customer bounce",
                "Everything I send to one of our customers comes back as undeliverable.",
            ),
            (
                "Calendar invitations not arriving",
                "Colleagues say they invited me, but the invitations never show up.",
            ),
            (
                "Mailbox full warning",
                "I get a warning that my mailbox is almost full and cannot send any more.",
            ),
            (
                "Out-of-office reply does not work",
                "I set up my out-of-office reply but nobody receives it.",
            ),
        ),
        (
            "Cleared the cached credentials and re-created the Outlook profile.",
            "Re-added the shared mailbox permission; it syncs again.",
            "The recipient's domain had us on a block list; they removed the entry.",
            "Archived old mail and raised the mailbox quota to 100 GB.",
        ),
    ),
    Service(
        "VPN",
        "Remote access from home and on the road",
        (
            (
                "VPN drops every few minutes",
                "The VPN connection drops every few minutes and I have to reconnect.",
            ),
            (
                "Cannot connect to the VPN from the hotel",
                "On the hotel Wi-Fi the VPN client just says 'connecting' forever.",
            ),
            ("VPN certificate expired", "The VPN client says my certificate has expired."),
            (
                "VPN very slow",
                "With the VPN on, every file on the network drive takes ages to open.",
            ),
            (
                "No access to the intranet over VPN",
                "I'm connected to the VPN but the intranet pages do not load.",
            ),
        ),
        (
            "Re-issued the VPN certificate and pushed the new profile.",
            "Switched the client to TCP 443, which the hotel network allows.",
            "Moved the user to the nearer VPN gateway; throughput is back to normal.",
            "Added the missing intranet route to the VPN profile.",
        ),
    ),
    Service(
        "Laptop & hardware",
        "Laptops, docks, screens, keyboards and phones",
        (
            (
                "Laptop does not start",
                "My laptop shows the logo and then switches itself off again.",
            ),
            (
                "Docking station: external screens stay black",
                "When I plug into the docking station the two screens stay black.",
            ),
            (
                "Battery drains within an hour",
                "The battery goes from full to empty in about an hour.",
            ),
            ("Keyboard missing keys", "Two keys came off my laptop keyboard."),
            ("Request: second monitor", "I would like a second monitor for my desk."),
            (
                "Laptop very slow after update",
                "Since the last update the laptop takes minutes to open anything.",
            ),
        ),
        (
            "Replaced the mainboard under warranty; the laptop boots again.",
            "Updated the dock firmware and display drivers.",
            "Swapped the battery; runtime is back to about eight hours.",
            "Delivered and set up the second monitor at the desk.",
            "Rolled back the faulty driver update and blocked it for this model.",
        ),
    ),
    Service(
        "Printing",
        "Office printers and scanners",
        (
            (
                "Printer on 3rd floor shows offline",
                "The printer next to the kitchen on the 3rd floor is offline for everyone.",
            ),
            (
                "Print jobs stuck in the queue",
                "My print jobs just sit in the queue and never print.",
            ),
            ("Scanner does not send to e-mail", "Scan to e-mail fails with 'SMTP error'."),
            ("Prints come out blank", "Every page comes out of the printer completely blank."),
            (
                "Cannot add the new printer",
                "I can't find the new colour printer in the list of printers.",
            ),
        ),
        (
            "Renewed the printer's DHCP reservation; it is back online.",
            "Restarted the print spooler on the print server and cleared the stuck jobs.",
            "Updated the scanner's SMTP settings to the new relay.",
            "Replaced the toner cartridge, which had its seal still on.",
            "Deployed the printer to the user's laptop through the management console.",
        ),
    ),
    Service(
        "Accounts & passwords",
        "Sign-in, passwords, multi-factor authentication and access rights",
        (
            ("Account locked", "My account is locked and I can't sign in anywhere."),
            (
                "New phone: authenticator app codes missing",
                "I got a new phone and my authenticator app has no codes.",
            ),
            (
                "Need access to the finance share",
                "I need read access to the finance share for the quarterly report.",
            ),
            (
                "Password reset e-mail never arrives",
                "I asked for a password reset but the e-mail never comes.",
            ),
            (
                "New starter needs an account",
                "A new colleague starts on Monday and needs an account and a laptop.",
            ),
        ),
        (
            "Unlocked the account and reset the password; the user signed in.",
            "Reset the MFA registration; the user enrolled the new phone.",
            "Added the user to the finance-readers group after the manager's approval.",
            "The reset mails were caught by a spam rule; fixed the rule and resent.",
            "Created the account and prepared the laptop for the start date.",
        ),
    ),
    Service(
        "Billing",
        "Invoices, payments and subscriptions",
        (
            (
                "Invoice shows the wrong VAT number",
                "Our latest invoice has an old VAT number on it.",
            ),
            (
                "Charged twice this month",
                "Our card was charged twice for this month's subscription.",
            ),
            (
                "Need a copy of last year's invoices",
                "Our auditor asks for copies of all invoices from last year.",
            ),
            ("Change the billing address", "We moved offices; please change the billing address."),
            (
                "Payment failed but card is valid",
                "The portal says our payment failed, but the card works elsewhere.",
            ),
        ),
        (
            "Corrected the VAT number and re-issued the invoice.",
            "Refunded the duplicate charge; it shows on the statement in 3-5 days.",
            "Sent a ZIP with all invoices from last year.",
            "Updated the billing address for future invoices.",
            "The bank flagged the payment as unusual; it went through on retry.",
        ),
    ),
    Service(
        "Website",
        "The public website and the customer portal",
        (
            (
                "Contact form returns an error",
                "Sending the contact form on the website shows 'Something went wrong'.",
            ),
            (
                "Broken link on the pricing page",
                "The 'Download price list' link on the pricing page gives a 404.",
            ),
            (
                "Portal login loops back to sign-in",
                "After signing in to the portal I land on the sign-in page again.",
            ),
            (
                "Website very slow this morning",
                "Every page on the website takes 10+ seconds to load.",
            ),
            (
                "Typo on the About page",
                "There is a typo in the second paragraph of the About page.",
            ),
        ),
        (
            "Fixed the form's mail relay setting; submissions arrive again.",
            "Restored the price list file and fixed the link.",
            "Cleared the stale session cookies domain setting; login works.",
            "Scaled up the web servers and purged the CDN cache.",
            "Corrected the typo and published the page.",
        ),
    ),
]


WHEN = [
    "It started this morning.",
    "It has been like this since Monday.",
    "It began right after the last update.",
    "It happens on and off, for about a week now.",
    "It started yesterday afternoon.",
]


TRIED = [
    "I already restarted the computer.",
    "I tried signing out and in again.",
    "I haven't changed anything on my side.",
    "A colleague has the same problem.",
    "",
]


IMPACT = {
    Priority.LOW: ["No rush, whenever you get to it.", "It's not urgent, just annoying."],
    Priority.NORMAL: ["I can work around it for now.", "It slows me down quite a bit."],
    Priority.HIGH: ["I can't do my work until this is fixed.", "My whole team is affected."],
    Priority.URGENT: ["We have a client deadline today!", "Nobody in the office can work."],
}


# action → reasons, for the grants that require one.
REASONS: dict[str, list[str]] = {
    "hold": [
        "Waiting for the customer to send a screenshot of the error.",
        "Waiting for the replacement part from the supplier.",
        "Asked the customer which office and floor they are on.",
        "Waiting for the vendor to answer our support case.",
        "Customer is travelling until next week; will retry then.",
    ],
    "withdraw": [
        "It started working again on its own.",
        "A colleague already reported the same problem.",
        "Not needed any more, we found a workaround.",
        "Sorry, my mistake - everything is fine.",
    ],
    "close": [
        "Duplicate; we are tracking this in another ticket.",
        "No answer from the customer for three weeks.",
        "Out of scope for the help desk; forwarded to facilities.",
    ],
    "reopen": [
        "It's broken again since this morning.",
        "The fix only worked until the next restart.",
        "Still getting the same error, see my message.",
    ],
}


# action → notes sometimes left where none is required.
REMARKS: dict[str, list[str]] = {
    "assign": ["Please pick this up, it's blocking the team.", "You know this system best."],
    "unassign": [
        "Back to the queue: I'm out of office tomorrow.",
        "Wrong team; putting it back for triage.",
    ],
    "close": ["Customer confirmed the fix by phone."],
    "reopen": ["Monitoring shows the problem is back."],
}


CUSTOMER_FOLLOW_UPS = [
    "Forgot to mention: it happens on my phone as well.",
    "Any news? It's still happening.",
    "Some more detail: the problem appeared right after the last update.",
    "A colleague in the same office has the same problem now.",
]


CUSTOMER_REPLIES = [
    "Thanks! The error says 'connection timed out'.",
    "Yes, it also happens in the office.",
    "I restarted as you suggested - still the same.",
    "Here is what you asked for: it started on Monday around 9.",
    "I tried that, it works for a while and then breaks again.",
]


STAFF_ACKS = [
    "Hi {customer}, thanks for reporting this. I'm looking into it now.",
    "Hi {customer}, I've picked this up and will get back to you today.",
    "Hi {customer}, sorry for the trouble - I'm on it.",
]


STAFF_QUESTIONS = [
    "Could you send me the exact error message and roughly when it happened?",
    "Does this also happen when you are in the office?",
    "Could you restart once and tell me if the problem is still there?",
    "Which device and operating system are you using?",
]


STAFF_UPDATES = [
    "Quick update: I can reproduce the problem and I'm testing a fix.",
    "I've asked our {service} specialists to have a look; I'll keep you posted.",
    "The fix is scheduled for tonight's maintenance window.",
]


STAFF_REMINDERS = [
    "Hi {customer}, just checking in - could you send the details when you have a moment?",
]


STAFF_NOTES = [
    "Looks like the same root cause as last week's {service} incident.",
    "Checked the logs: nothing unusual on the server side.",
    "Customer is on the priority list - keep them updated.",
    "Opened a case with the vendor.",
    "Known issue, workaround documented in the knowledge base.",
]


MANAGER_NOTES = [
    "Please keep an eye on this one, the customer escalated by phone.",
    "If this isn't solved by Friday, loop me in.",
]
