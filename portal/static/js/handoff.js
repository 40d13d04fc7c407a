// Hands the one-time login to the router without a tap; the button stays for browsers without JavaScript.
document.getElementById("handoff").submit();
